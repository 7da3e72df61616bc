import assert from "node:assert/strict";
import {
  addressDeleteArgv,
  addressReplaceArgv,
  linkUpArgv,
} from "../../lib/ip/address.ts";

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
