import assert from "node:assert/strict";
import {
  createNamespace,
  deleteNamespace,
  netnsExec,
} from "../../lib/lab/netns.ts";
import { DenoCommandRunner, runChecked } from "../../lib/process/command.ts";
import { type LinkInfo, parseLinks } from "../../lib/ip/link.ts";
import { readLinks } from "../../lib/net/link_ioctl.ts";

const PROBE = new URL("./_link_probe.ts", import.meta.url).pathname;

const host = new DenoCommandRunner();
const run = (argv: string[]) => runChecked(host, argv);

// A namespace with the kinds of link a container meets: loopback, a veth
// whose peer is elsewhere (up, then without carrier), one that is down,
// with its own MTU and MAC, and a tun device.
async function withNamespace(
  body: (namespace: string, peer: string) => Promise<void>,
): Promise<void> {
  const namespace = `ocidhcp-ioctl-${Deno.pid}`;
  const peer = `${namespace}-p`;
  await createNamespace(namespace);
  await createNamespace(peer);
  try {
    const ip = (...args: string[]) => run(["ip", "-n", namespace, ...args]);
    await ip(
      "link",
      "add",
      "eth0",
      "type",
      "veth",
      "peer",
      "name",
      "peer0",
      "netns",
      peer,
    );
    await ip("link", "set", "eth0", "up");
    await run(["ip", "-n", peer, "link", "set", "peer0", "up"]);
    await ip("link", "add", "veth7", "type", "veth", "peer", "name", "veth7p");
    await ip(
      "link",
      "set",
      "veth7",
      "mtu",
      "1280",
      "address",
      "02:00:5e:10:00:07",
    );
    await ip("tuntap", "add", "dev", "tun3", "mode", "tun");
    await body(namespace, peer);
  } finally {
    await deleteNamespace(namespace);
    await deleteNamespace(peer);
  }
}

async function probe(
  namespace: string,
  names: string[] = [],
): Promise<{ all: LinkInfo[]; named: Record<string, LinkInfo> }> {
  return JSON.parse(
    await run(
      netnsExec(namespace, [Deno.execPath(), "run", "-A", PROBE, ...names]),
    ),
  );
}

Deno.test({
  name: "readAllLinks() sees in a namespace what `ip -j link show` lists",
  async fn() {
    await withNamespace(async (namespace) => {
      // Settle the veth's carrier before the two readings are compared.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const listed = parseLinks(
        await run(["ip", "-n", namespace, "-j", "link", "show"]),
      );
      const { all } = await probe(namespace);
      assert.deepEqual(
        all.map((link) => link.name),
        listed.map((link) => link.name),
      );
      for (const expected of listed) {
        const seen = all.find((link) => link.name === expected.name);
        assert.ok(seen, expected.name);
        assert.equal(seen.index, expected.index, expected.name);
        assert.equal(seen.mtu, expected.mtu, expected.name);
        assert.equal(seen.up, expected.up, expected.name);
        assert.equal(seen.broadcast, expected.broadcast, expected.name);
        assert.equal(seen.carrier, expected.carrier, expected.name);
        assert.equal(seen.linkType, expected.linkType, expected.name);
        if (expected.linkType === "ether" || expected.linkType === "loopback") {
          assert.equal(seen.hardwareAddress, expected.hardwareAddress);
        } else {
          assert.equal(seen.hardwareAddress, "");
        }
      }
      const down = all.find((link) => link.name === "veth7");
      assert.deepEqual(down && { ...down, index: 0 }, {
        name: "veth7",
        index: 0,
        hardwareAddress: "02:00:5e:10:00:07",
        linkType: "ether",
        mtu: 1280,
        up: false,
        carrier: false,
        broadcast: true,
      });
      assert.equal(all.find((link) => link.name === "tun3")?.linkType, "none");
    });
  },
});

Deno.test({
  name: "readLinks() reads named links, leaves out missing ones, and sees " +
    "carrier go",
  async fn() {
    await withNamespace(async (namespace, peer) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const before = await probe(namespace, [
        "eth0",
        "nosuch0",
        "x".repeat(16),
      ]);
      assert.deepEqual(Object.keys(before.named), ["eth0"]);
      assert.equal(before.named.eth0?.up, true);
      assert.equal(before.named.eth0?.carrier, true);
      await run(["ip", "-n", peer, "link", "set", "peer0", "down"]);
      // IFF_RUNNING follows the kernel's link watch, which may take up to a
      // second to act on a carrier change.
      let after = await probe(namespace, ["eth0"]);
      for (let i = 0; i < 20 && after.named.eth0?.carrier; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        after = await probe(namespace, ["eth0"]);
      }
      assert.equal(after.named.eth0?.up, true);
      assert.equal(after.named.eth0?.carrier, false);
      assert.equal(after.named.eth0?.index, before.named.eth0?.index);
    });
  },
});

Deno.test("readLinks() answers for the caller's own namespace", () => {
  // Names no interface can have are left out without asking the kernel.
  assert.deepEqual(readLinks(["", "a/b".repeat(6), "lo"]).size, 1);
  assert.equal(readLinks(["lo"]).get("lo")?.linkType, "loopback");
});
