import assert from "node:assert/strict";
import {
  parseDnsmasqLeases,
  parseKeaLeases,
  parseNpmDhcpLeases,
  parseUdhcpdLeases,
} from "../../lib/lab/server_leases.ts";

Deno.test("parseDnsmasqLeases() reads expiry, MAC and address", () => {
  const text = [
    "1796329983 ee:77:59:5c:15:1c 198.18.0.119 * 01:ee:77:59:5c:15:1c",
    "0 AA:BB:CC:DD:EE:FF 198.18.0.120 host *",
    "duid 00:01:00:01:2c:00:00:00:00:00:00:00",
    "",
  ].join("\n");
  assert.deepEqual(parseDnsmasqLeases(text), [
    {
      address: "198.18.0.119",
      hardwareAddress: "ee:77:59:5c:15:1c",
      expires: 1796329983,
    },
    { address: "198.18.0.120", hardwareAddress: "aa:bb:cc:dd:ee:ff" },
  ]);
});

Deno.test("parseKeaLeases() keeps the last live row per address", () => {
  const text = [
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd," +
    "fqdn_rev,hostname,state,user_context",
    "198.18.0.100,6e:1c:09:2a:fd:dc,01:6e,3600,1796329985,1,0,0,,0,",
    "198.18.0.100,6e:1c:09:2a:fd:dc,01:6e,3600,1796330000,1,0,0,,0,",
    "198.18.0.101,6e:1c:09:2a:fd:dd,,3600,1796329985,1,0,0,,0,",
    "198.18.0.101,6e:1c:09:2a:fd:dd,,0,1796329985,1,0,0,,0,",
    "198.18.0.102,6e:1c:09:2a:fd:de,,3600,1796329985,1,0,0,,1,",
  ].join("\n");
  assert.deepEqual(parseKeaLeases(text), [{
    address: "198.18.0.100",
    hardwareAddress: "6e:1c:09:2a:fd:dc",
    expires: 1796330000,
  }]);
  assert.deepEqual(parseKeaLeases(""), []);
});

Deno.test(
  "parseUdhcpdLeases() adds the remaining time to the write " +
    "time",
  () => {
    const bytes = new Uint8Array(8 + 36 * 2);
    const view = new DataView(bytes.buffer);
    view.setBigInt64(0, 1796326479n);
    // Record 1: 3600 s left, 198.18.0.194, fe:e8:1f:04:ed:da, "box".
    view.setUint32(8, 3600);
    bytes.set([198, 18, 0, 194], 12);
    bytes.set([0xfe, 0xe8, 0x1f, 0x04, 0xed, 0xda], 16);
    bytes.set(new TextEncoder().encode("box"), 22);
    // Record 2 is all zero: a free slot.
    assert.deepEqual(parseUdhcpdLeases(bytes), [{
      address: "198.18.0.194",
      hardwareAddress: "fe:e8:1f:04:ed:da",
      expires: 1796330079,
    }]);
    assert.throws(() => parseUdhcpdLeases(new Uint8Array(4)), RangeError);
  },
);

Deno.test("parseNpmDhcpLeases() keeps the latest lease per MAC", () => {
  const lines = [
    '{"event":"ready"}',
    '{"event":"lease","hardwareAddress":"8a:fe:48:37:bd:5b",' +
    '"address":"198.18.0.100","expires":100}',
    "error: not json",
    '{"event":"lease","hardwareAddress":"8a:fe:48:37:bd:5b",' +
    '"address":"198.18.0.100","expires":200}',
  ];
  assert.deepEqual(parseNpmDhcpLeases(lines), [{
    address: "198.18.0.100",
    hardwareAddress: "8a:fe:48:37:bd:5b",
    expires: 200,
  }]);
});
