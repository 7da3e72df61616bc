import assert from "node:assert/strict";
import {
  compareInterfaceNames,
  decideDefaultRoute,
  type DefaultRouteInput,
  electOwner,
} from "../../lib/route/default_route_policy.ts";

const base: DefaultRouteInput = {
  interface: "eth0",
  optedOut: false,
  candidate: true,
  currentOwner: undefined,
  foreign: "compete",
};

Deno.test(
  "decideDefaultRoute() follows the byte-order ownership rule",
  async (t) => {
    const cases: Array<
      [string, Partial<DefaultRouteInput>, "install" | "keep" | "skip"]
    > = [
      ["installs when there is no owner", {}, "install"],
      [
        "skips when a smaller name owns it",
        {
          interface: "eth1",
          currentOwner: { device: "eth0", protocol: "dhcp" },
        },
        "skip",
      ],
      [
        "installs over a larger owner",
        { currentOwner: { device: "eth1", protocol: "dhcp" } },
        "install",
      ],
      [
        "keeps its own route on renewal",
        { currentOwner: { device: "eth0", protocol: "dhcp" } },
        "keep",
      ],
      [
        "competes with a larger foreign owner",
        { currentOwner: { device: "eth1", protocol: "static" } },
        "install",
      ],
      [
        "competes with a foreign owner without protocol",
        { currentOwner: { device: "eth1" } },
        "install",
      ],
      [
        "loses to a smaller foreign owner",
        {
          interface: "eth1",
          currentOwner: { device: "eth0", protocol: "boot" },
        },
        "skip",
      ],
      [
        "respects a larger foreign owner",
        {
          currentOwner: { device: "eth1", protocol: "static" },
          foreign: "respect",
        },
        "skip",
      ],
      [
        "still replaces a dhcp owner under respect",
        {
          currentOwner: { device: "eth1", protocol: "dhcp" },
          foreign: "respect",
        },
        "install",
      ],
      [
        "takes over from a smaller owner that can no longer hold it",
        {
          interface: "eth1",
          currentOwner: { device: "eth0", protocol: "dhcp", stale: true },
        },
        "install",
      ],
      [
        "reinstalls its own route when the lease's router changed",
        {
          currentOwner: { device: "eth0", protocol: "dhcp" },
          routeChanged: true,
        },
        "install",
      ],
      [
        "a stale mark does not make its own route change",
        {
          currentOwner: { device: "eth0", protocol: "dhcp", stale: true },
        },
        "keep",
      ],
      ["skips when opted out", { optedOut: true }, "skip"],
      [
        "skips when opted out even as the smallest name",
        { optedOut: true, currentOwner: { device: "eth9", protocol: "dhcp" } },
        "skip",
      ],
      ["skips without a default route", { candidate: false }, "skip"],
      [
        "eth10 sorts before eth2",
        {
          interface: "eth10",
          currentOwner: { device: "eth2", protocol: "dhcp" },
        },
        "install",
      ],
      [
        "eth2 does not take over from eth10",
        {
          interface: "eth2",
          currentOwner: { device: "eth10", protocol: "dhcp" },
        },
        "skip",
      ],
      [
        "a VLAN name sorts after its parent",
        {
          interface: "eth0.100",
          currentOwner: { device: "eth0", protocol: "dhcp" },
        },
        "skip",
      ],
      [
        "br-lan sorts before eth0",
        {
          interface: "br-lan",
          currentOwner: { device: "eth0", protocol: "dhcp" },
        },
        "install",
      ],
      [
        "a dash sorts before a dot",
        {
          interface: "br-lan",
          currentOwner: { device: "br.lan", protocol: "dhcp" },
        },
        "install",
      ],
    ];
    for (const [name, input, action] of cases) {
      await t.step(name, () => {
        const decision = decideDefaultRoute({ ...base, ...input });
        assert.equal(decision.action, action, decision.reason);
        assert.ok(decision.reason.length > 0);
      });
    }
  },
);

Deno.test(
  "compareInterfaceNames() compares UTF-8 bytes, not locale",
  async (t) => {
    const cases: Array<[string, string, -1 | 0 | 1]> = [
      ["eth10", "eth2", -1],
      ["eth0", "eth0.100", -1],
      ["Eth0", "eth0", -1],
      ["br-lan", "br.lan", -1],
      ["eth0", "eth0", 0],
      ["wlan0", "eth0", 1],
      // UTF-16 code units would order these the other way round: U+FF21 is
      // 0xef 0xbc 0xa1 in UTF-8, U+1F600 starts with 0xf0.
      ["\uff21", "\u{1f600}", -1],
    ];
    for (const [a, b, sign] of cases) {
      await t.step(`${a} vs ${b}`, () => {
        assert.equal(Math.sign(compareInterfaceNames(a, b)), sign);
        assert.equal(Math.sign(compareInterfaceNames(b, a)), -sign || 0);
      });
    }
  },
);

Deno.test("electOwner() picks the smallest name in byte order", () => {
  assert.equal(electOwner([]), undefined);
  assert.equal(electOwner(["eth2", "eth10", "wlan0"]), "eth10");
  assert.equal(electOwner(["eth0.100", "eth0", "veth1"]), "eth0");
  assert.equal(electOwner(["eth1", "br-lan"]), "br-lan");
});
