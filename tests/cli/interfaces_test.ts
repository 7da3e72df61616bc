import assert from "node:assert/strict";
import { chooseInterfaces } from "../../cli/interfaces.ts";
import { parseLinks } from "../../lib/ip/link.ts";
import { Lab } from "../../lib/lab/lab.ts";
import { CAPTURED_LINKS, FALLBACK_TUNNELS } from "./_ip_links.ts";

Deno.test(
  "chooseInterfaces() serves the veth, macvlan and bridge, not lo or tun0",
  () => {
    const choice = chooseInterfaces(parseLinks(CAPTURED_LINKS));
    assert.deepEqual(choice.chosen, ["eth0", "mv0", "br0"]);
    assert.deepEqual(choice.skipped, [
      { name: "lo", reason: "loopback" },
      { name: "tun0", reason: "link type none" },
    ]);
  },
);

Deno.test("chooseInterfaces() skips every fallback tunnel device", () => {
  const links = [
    ...parseLinks(CAPTURED_LINKS),
    ...parseLinks(FALLBACK_TUNNELS),
  ];
  const choice = chooseInterfaces(links);
  assert.deepEqual(choice.chosen, ["eth0", "mv0", "br0"]);
  assert.deepEqual(choice.skipped, [
    { name: "lo", reason: "loopback" },
    { name: "tun0", reason: "link type none" },
    { name: "tunl0", reason: "link type ipip" },
    { name: "gre0", reason: "link type gre" },
    { name: "gretap0", reason: "no hardware address" },
    { name: "erspan0", reason: "no hardware address" },
    { name: "sit0", reason: "link type sit" },
    { name: "ip6tnl0", reason: "link type tunnel6" },
  ]);
});

Deno.test("chooseInterfaces() skips an Ethernet link without broadcast", () => {
  const [eth0] = parseLinks(CAPTURED_LINKS).filter((l) => l.name === "eth0");
  assert.ok(eth0 !== undefined);
  const choice = chooseInterfaces([{ ...eth0, broadcast: false }]);
  assert.deepEqual(choice, {
    chosen: [],
    skipped: [{ name: "eth0", reason: "no broadcast" }],
  });
});

Deno.test({
  name: "--one-shot with no interface named serves the veth, not a tun device",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create();
    // A tun device is what a VPN client leaves next to a container's veth:
    // up, but point-to-point with no hardware address. The namespace is
    // deleted with the lab, and the device with it.
    for (
      const argv of [
        ["ip", "tuntap", "add", "tun0", "mode", "tun"],
        ["ip", "link", "set", "tun0", "up"],
      ]
    ) {
      const result = await lab.run(argv);
      assert.equal(result.code, 0, result.stderr);
    }
    const client = lab.spawnClient([
      "--one-shot",
      "--timeout",
      "10",
      "--log-level",
      "debug",
      "--resolv-conf",
      "none",
    ]);
    const status = await client.status;
    const output = client.output();
    assert.equal(status.code, 0, output);
    assert.match(output, /serving eth0$/m);
    assert.match(output, /ready: eth0 configured$/m);
    assert.match(output, /tun0: skipped, link type none$/m);
    assert.match(output, /lo: skipped, loopback$/m);
    assert.equal((await lab.addresses("eth0")).length, 1);
  },
});
