import assert from "node:assert/strict";
import {
  DeviceNotFoundError,
  parseHardwareAddress,
  parseLinks,
  showLink,
} from "../../lib/ip/link.ts";
import { DenoCommandRunner } from "../../lib/process/command.ts";

Deno.test("parseLinks() reads name, index, MAC, MTU and flags", () => {
  const json = JSON.stringify([
    {
      ifindex: 1,
      ifname: "lo",
      flags: ["LOOPBACK", "UP", "LOWER_UP"],
      mtu: 65536,
      link_type: "loopback",
      address: "00:00:00:00:00:00",
    },
    {
      ifindex: 3,
      ifname: "eth0",
      flags: ["BROADCAST", "MULTICAST", "UP"],
      mtu: 1500,
      link_type: "ether",
      address: "02:42:ac:11:00:02",
    },
    { ifname: 7 },
  ]);
  assert.deepEqual(parseLinks(json), [
    {
      name: "lo",
      index: 1,
      hardwareAddress: "00:00:00:00:00:00",
      linkType: "loopback",
      mtu: 65536,
      up: true,
      carrier: true,
      broadcast: false,
    },
    {
      name: "eth0",
      index: 3,
      hardwareAddress: "02:42:ac:11:00:02",
      linkType: "ether",
      mtu: 1500,
      up: true,
      carrier: false,
      broadcast: true,
    },
  ]);
  assert.throws(() => parseLinks("{}"), SyntaxError);
});

Deno.test("parseHardwareAddress() converts colon-separated hex", () => {
  assert.deepEqual(
    parseHardwareAddress("02:42:AC:11:00:02"),
    new Uint8Array([2, 0x42, 0xac, 0x11, 0, 2]),
  );
  assert.throws(() => parseHardwareAddress("02-42"), TypeError);
});

Deno.test("showLink() names a missing interface", async () => {
  await assert.rejects(
    showLink(new DenoCommandRunner(), "nosuch0"),
    (error) => {
      assert.ok(error instanceof DeviceNotFoundError);
      assert.equal(error.device, "nosuch0");
      assert.match(error.message, /"nosuch0" does not exist/);
      return true;
    },
  );
});
