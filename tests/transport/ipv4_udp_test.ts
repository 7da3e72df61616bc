import assert from "node:assert/strict";
import {
  buildIpv4Udp,
  PacketError,
  parseIpv4Udp,
} from "../../lib/transport/ipv4_udp.ts";

function hex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-f]/gi, "");
  return new Uint8Array(
    clean.match(/../g)!.map((pair) => parseInt(pair, 16)),
  );
}

// IPv4 + UDP, checksums computed independently of the code under test:
// 192.0.2.1:67 -> 255.255.255.255:68, id 0x1234, TTL 64, DF, "ocidhcp".
const FIXTURE = hex(`
  45 00 00 23  12 34 40 00  40 11 66 95  c0 00 02 01  ff ff ff ff
  00 43 00 44  00 0f 8c 1c  6f 63 69 64  68 63 70
`);

function fixtureOptions(): Parameters<typeof buildIpv4Udp>[0] {
  return {
    source: "192.0.2.1",
    destination: "255.255.255.255",
    sourcePort: 67,
    destinationPort: 68,
    identification: 0x1234,
    payload: new TextEncoder().encode("ocidhcp"),
  };
}

/** Rewrites the IPv4 header checksum after a test edits the header. */
function fixChecksum(packet: Uint8Array): Uint8Array {
  const headerLength = (packet[0]! & 0x0f) * 4;
  packet[10] = 0;
  packet[11] = 0;
  let sum = 0;
  for (let i = 0; i < headerLength; i += 2) {
    sum += (packet[i]! << 8) + packet[i + 1]!;
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  packet[10] = (~sum >>> 8) & 0xff;
  packet[11] = ~sum & 0xff;
  return packet;
}

function edited(edit: (packet: Uint8Array) => void): Uint8Array {
  const packet = FIXTURE.slice();
  edit(packet);
  return fixChecksum(packet);
}

Deno.test("buildIpv4Udp() matches a packet with known checksums", () => {
  assert.deepEqual(buildIpv4Udp(fixtureOptions()), FIXTURE);
});

Deno.test("buildIpv4Udp() writes the textbook IPv4 header checksum", () => {
  // The well-known example header 192.168.0.1 -> 192.168.0.199, total
  // length 115, DF, TTL 64, UDP, whose checksum is 0xb861.
  const packet = buildIpv4Udp({
    source: "192.168.0.1",
    destination: "192.168.0.199",
    sourcePort: 1,
    destinationPort: 2,
    payload: new Uint8Array(115 - 28),
  });
  assert.deepEqual(
    packet.subarray(0, 20),
    hex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7"),
  );
});

Deno.test("buildIpv4Udp() sends a zero UDP checksum as 0xffff", () => {
  // Find a payload whose checksum folds to zero: two bytes chosen to
  // cancel the rest of the sum.
  const base = buildIpv4Udp({
    ...fixtureOptions(),
    payload: new Uint8Array(2),
  });
  const withZeroPayload = (base[26]! << 8) | base[27]!;
  const payload = new Uint8Array([
    withZeroPayload >>> 8,
    withZeroPayload & 0xff,
  ]);
  const packet = buildIpv4Udp({ ...fixtureOptions(), payload });
  assert.deepEqual([...packet.subarray(26, 28)], [0xff, 0xff]);
});

Deno.test("buildIpv4Udp() rejects out-of-range fields", async (t) => {
  const cases: [string, Partial<Parameters<typeof buildIpv4Udp>[0]>][] = [
    ["source port", { sourcePort: 65536 }],
    ["destination port", { destinationPort: -1 }],
    ["TTL", { ttl: 256 }],
    ["identification", { identification: 1.5 }],
    ["payload", { payload: new Uint8Array(65536 - 28) }],
  ];
  for (const [name, change] of cases) {
    await t.step(name, () => {
      assert.throws(
        () => buildIpv4Udp({ ...fixtureOptions(), ...change }),
        (error: unknown) =>
          error instanceof RangeError && error.message.includes(name),
      );
    });
  }
  await t.step("address", () => {
    assert.throws(
      () => buildIpv4Udp({ ...fixtureOptions(), source: "192.0.2" }),
      TypeError,
    );
  });
});

Deno.test("parseIpv4Udp() reads back what buildIpv4Udp() wrote", () => {
  const payload = new Uint8Array(300).map((_, i) => i & 0xff);
  const datagram = parseIpv4Udp(
    buildIpv4Udp({
      source: "0.0.0.0",
      destination: "255.255.255.255",
      sourcePort: 68,
      destinationPort: 67,
      payload,
    }),
  );
  assert.deepEqual(datagram, {
    payload,
    source: "0.0.0.0",
    sourcePort: 68,
    destination: "255.255.255.255",
    destinationPort: 67,
  });
});

Deno.test("parseIpv4Udp() ignores bytes past the lengths", async (t) => {
  await t.step("Ethernet padding past the total length", () => {
    const padded = new Uint8Array(FIXTURE.length + 11);
    padded.set(FIXTURE);
    padded.fill(0xee, FIXTURE.length);
    assert.equal(
      new TextDecoder().decode(parseIpv4Udp(padded).payload),
      "ocidhcp",
    );
  });
  await t.step("bytes past the UDP length", () => {
    const packet = edited((p) => p[25] = 0x0c);
    assert.equal(
      new TextDecoder().decode(parseIpv4Udp(packet).payload),
      "ocid",
    );
  });
  await t.step("a bad UDP checksum, as veth offload leaves it", () => {
    const packet = edited((p) => p[27] = 0);
    assert.equal(parseIpv4Udp(packet).sourcePort, 67);
  });
});

Deno.test("parseIpv4Udp() skips IPv4 options", () => {
  const packet = new Uint8Array(FIXTURE.length + 4);
  packet.set(FIXTURE.subarray(0, 20));
  packet.set([1, 1, 1, 0], 20); // NOP, NOP, NOP, end of options
  packet.set(FIXTURE.subarray(20), 24);
  packet[0] = 0x46;
  packet[3] = FIXTURE.length + 4;
  const datagram = parseIpv4Udp(fixChecksum(packet));
  assert.equal(datagram.sourcePort, 67);
  assert.equal(datagram.destinationPort, 68);
  assert.equal(new TextDecoder().decode(datagram.payload), "ocidhcp");
});

Deno.test("parseIpv4Udp() names the field of each malformation", async (t) => {
  const cases: [string, Uint8Array, string, number][] = [
    ["too short", FIXTURE.slice(0, 19), "IPv4 header", 0],
    ["IPv6", edited((p) => p[0] = 0x65), "version", 0],
    ["IHL below 5", edited((p) => p[0] = 0x44), "IHL", 0],
    ["IHL past the buffer", FIXTURE.slice().fill(0x4f, 0, 1), "IHL", 0],
    [
      "total length past the buffer",
      edited((p) => p[3] = 36),
      "total length",
      2,
    ],
    ["total length below IHL", edited((p) => p[3] = 19), "total length", 2],
    [
      "bad header checksum",
      FIXTURE.slice().fill(0, 10, 11),
      "header checksum",
      10,
    ],
    [
      "more fragments",
      edited((p) => p[6] = 0x20),
      "flags and fragment offset",
      6,
    ],
    [
      "fragment offset",
      edited((p) => p[7] = 0x01),
      "flags and fragment offset",
      6,
    ],
    ["TCP", edited((p) => p[9] = 6), "protocol", 9],
    ["no room for UDP", edited((p) => p[3] = 27), "UDP header", 20],
    ["UDP length past IPv4", edited((p) => p[25] = 16), "UDP length", 24],
    ["UDP length below 8", edited((p) => p[25] = 7), "UDP length", 24],
  ];
  for (const [name, packet, field, offset] of cases) {
    await t.step(name, () => {
      assert.throws(
        () => parseIpv4Udp(packet),
        (error: unknown) => {
          assert.ok(error instanceof PacketError, String(error));
          assert.equal(error.field, field);
          assert.equal(error.offset, offset);
          assert.match(error.message, new RegExp(`${field} at offset`));
          return true;
        },
      );
    });
  }
});

Deno.test("parseIpv4Udp() throws only PacketError on truncation", () => {
  const packet = buildIpv4Udp({
    ...fixtureOptions(),
    payload: new Uint8Array(300),
  });
  for (let length = 0; length < packet.length; length++) {
    assert.throws(
      () => parseIpv4Udp(packet.subarray(0, length)),
      PacketError,
      `length ${length}`,
    );
  }
  assert.equal(parseIpv4Udp(packet).payload.length, 300);
});

Deno.test("parseIpv4Udp() throws only PacketError on corrupt bytes", () => {
  // Every single-byte value at every header offset, with the checksum
  // repaired so the later checks are reached too.
  for (let offset = 0; offset < 28; offset++) {
    for (let value = 0; value < 256; value++) {
      const packet = FIXTURE.slice();
      packet[offset] = value;
      for (const candidate of [packet, fixChecksum(packet.slice())]) {
        try {
          parseIpv4Udp(candidate);
        } catch (error) {
          assert.ok(
            error instanceof PacketError,
            `offset ${offset} value ${value}: ${error}`,
          );
        }
      }
    }
  }
});
