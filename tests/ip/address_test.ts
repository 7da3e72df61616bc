import assert from "node:assert/strict";
import {
  addressDeleteArgv,
  addressReplaceArgv,
  linkUpArgv,
  listAddresses,
} from "../../lib/ip/address.ts";
import {
  createNamespace,
  deleteNamespace,
  NetnsRunner,
} from "../../lib/lab/netns.ts";
import { runChecked } from "../../lib/process/command.ts";

Deno.test("addressReplaceArgv() gives the lease's lifetimes to the kernel", () => {
  assert.deepEqual(
    addressReplaceArgv({
      device: "eth0",
      address: "198.18.0.150",
      prefix: 24,
      validLifetime: 3599.7,
    }),
    [
      "-4",
      "addr",
      "replace",
      "198.18.0.150/24",
      "dev",
      "eth0",
      "broadcast",
      "198.18.0.255",
      "valid_lft",
      "3599",
      "preferred_lft",
      "3599",
    ],
  );
});

Deno.test("addressReplaceArgv() writes forever for an infinite lease", () => {
  const argv = addressReplaceArgv({
    device: "eth0",
    address: "10.1.2.3",
    prefix: 8,
    broadcast: "10.255.255.255",
    validLifetime: Infinity,
  });
  assert.deepEqual(argv.slice(-4), [
    "valid_lft",
    "forever",
    "preferred_lft",
    "forever",
  ]);
});

Deno.test("addressReplaceArgv() rejects a negative lifetime", () => {
  assert.throws(
    () =>
      addressReplaceArgv({
        device: "eth0",
        address: "10.1.2.3",
        prefix: 8,
        validLifetime: -1,
      }),
    RangeError,
  );
});

Deno.test("addressDeleteArgv() and linkUpArgv() name the device", () => {
  assert.deepEqual(
    addressDeleteArgv({ device: "eth1", address: "10.0.0.2", prefix: 30 }),
    ["-4", "addr", "del", "10.0.0.2/30", "dev", "eth1"],
  );
  assert.deepEqual(linkUpArgv("eth1"), ["link", "set", "dev", "eth1", "up"]);
  assert.deepEqual(linkUpArgv("eth1", 1400), [
    "link",
    "set",
    "dev",
    "eth1",
    "up",
    "mtu",
    "1400",
  ]);
});

Deno.test("listAddresses() lists every interface's addresses in one process", async () => {
  const namespace = `ocidhcp-addr-${Deno.pid}`;
  await createNamespace(namespace);
  try {
    const runner = new NetnsRunner(namespace);
    const ip = (...args: string[]) => runChecked(runner, ["ip", ...args]);
    for (const name of ["eth0", "eth1"]) {
      await ip("link", "add", name, "type", "veth", "peer", "name", `${name}p`);
      await ip("link", "set", name, "up");
    }
    await ip(
      "addr",
      "add",
      "198.51.100.7/24",
      "dev",
      "eth0",
      "valid_lft",
      "300",
      "preferred_lft",
      "300",
    );
    await ip("addr", "add", "198.51.100.8/24", "dev", "eth0");
    const calls: string[][] = [];
    const listed = await listAddresses({
      run: (argv, options) => {
        calls.push([...argv]);
        return runner.run(argv, options);
      },
    });
    assert.equal(calls.length, 1);
    const eth0 = listed.get("eth0") ?? [];
    assert.deepEqual(eth0.map(({ address, prefix }) => [address, prefix]), [
      ["198.51.100.7", 24],
      ["198.51.100.8", 24],
    ]);
    assert.ok(
      (eth0[0]?.validLifetime ?? 0) > 290 &&
        (eth0[0]?.validLifetime ?? 0) <= 300,
    );
    assert.equal(eth0[1]?.validLifetime, Infinity);
    assert.deepEqual(listed.get("lo"), [
      { address: "127.0.0.1", prefix: 8, validLifetime: Infinity },
    ]);
    assert.equal(listed.has("eth1"), false);
  } finally {
    await deleteNamespace(namespace);
  }
});
