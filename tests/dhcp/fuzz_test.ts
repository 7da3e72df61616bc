/**
 * Truncated, mutated and random inputs: decodeMessage and the option value
 * getters throw nothing but DecodeError, whatever they are given.
 */
import { ok, strictEqual } from "node:assert/strict";
import * as dhcp from "../../lib/dhcp/mod.ts";
import {
  DecodeError,
  decodeMessage,
  type DhcpMessage,
  encodeMessage,
} from "../../lib/dhcp/mod.ts";
import { ACK, DISCOVER } from "./fixtures.ts";

/** mulberry32: a small seeded PRNG, so every run sees the same inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GETTERS = [
  dhcp.subnetMask,
  dhcp.routers,
  dhcp.domainNameServers,
  dhcp.hostName,
  dhcp.domainName,
  dhcp.broadcastAddress,
  dhcp.interfaceMtu,
  dhcp.requestedIpAddress,
  dhcp.ipAddressLeaseTime,
  dhcp.dhcpMessageType,
  dhcp.serverIdentifier,
  dhcp.parameterRequestList,
  dhcp.maximumDhcpMessageSize,
  dhcp.renewalTimeValue,
  dhcp.rebindingTimeValue,
  dhcp.vendorClassIdentifier,
  dhcp.clientIdentifier,
  dhcp.message,
  dhcp.domainSearch,
  dhcp.classlessStaticRoutes,
];

/** Decodes; on success runs every getter and re-encodes. */
function exercise(input: Uint8Array, what: string): "ok" | "error" {
  let m: DhcpMessage;
  try {
    m = decodeMessage(input);
  } catch (error) {
    ok(error instanceof DecodeError, `${what}: threw ${error}`);
    return "error";
  }
  for (const getter of GETTERS) {
    try {
      getter(m.options);
    } catch (error) {
      ok(
        error instanceof dhcp.OptionError,
        `${what}: ${getter.name} threw ${error}`,
      );
    }
  }
  // Whatever decodes re-encodes, and decodes again to the same options.
  const again = decodeMessage(encodeMessage(m));
  ok(again.options.size <= m.options.size, `${what}: re-encode`);
  return "ok";
}

/** The lengths at which a packet is cut between two options or after END. */
function boundaries(packet: Uint8Array): Set<number> {
  const out = new Set<number>([240]);
  let at = 240;
  while (packet[at] !== 255) {
    at += packet[at] === 0 ? 1 : 2 + packet[at + 1]!;
    out.add(at);
  }
  for (let length = at + 1; length <= packet.length; length++) out.add(length);
  return out;
}

Deno.test("every truncation of a valid packet decodes or throws DecodeError", () => {
  for (const packet of [DISCOVER, ACK]) {
    const expected = boundaries(packet);
    for (let length = 0; length <= packet.length; length++) {
      const result = exercise(packet.subarray(0, length), `length ${length}`);
      // Exactly the cuts between options decode (END may be missing);
      // every other cut leaves an option short or the header incomplete.
      strictEqual(
        result,
        expected.has(length) ? "ok" : "error",
        `length ${length}`,
      );
    }
  }
});

Deno.test("random buffers only ever throw DecodeError", () => {
  const random = prng(0x5eed);
  const cookie = [0x63, 0x82, 0x53, 0x63];
  let decoded = 0;
  for (let i = 0; i < 4000; i++) {
    const length = Math.floor(random() * 700);
    const input = new Uint8Array(length);
    for (let j = 0; j < length; j++) input[j] = Math.floor(random() * 256);
    // Most random buffers fail at the cookie; give three in four a valid
    // one so that the options parser sees random bytes too.
    if (length >= 240 && i % 4 !== 0) input.set(cookie, 236);
    // And overload some of them into file and sname.
    if (length >= 243 && i % 8 === 1) input.set([52, 1, 1 + (i % 3)], 240);
    if (exercise(input, `random buffer ${i}`) === "ok") decoded++;
  }
  ok(decoded > 0, "some random buffers decode");
});

Deno.test("mutated valid packets only ever throw DecodeError", () => {
  const random = prng(42);
  for (let i = 0; i < 3000; i++) {
    const input = (i % 2 === 0 ? ACK : DISCOVER).slice();
    const flips = 1 + Math.floor(random() * 4);
    for (let f = 0; f < flips; f++) {
      // Mutate the options area mostly, where the structure is.
      const at = random() < 0.8
        ? 240 + Math.floor(random() * (input.length - 240))
        : Math.floor(random() * input.length);
      input[at] = Math.floor(random() * 256);
    }
    exercise(input, `mutation ${i}`);
  }
});

Deno.test("decoding a huge declared structure allocates in proportion", () => {
  // 64 KiB of maximal options: decoded size stays about the input size.
  const input = new Uint8Array(240 + 257 * 255);
  input.set([0x63, 0x82, 0x53, 0x63], 236);
  for (let i = 0; i < 255; i++) {
    input[240 + 257 * i] = 43;
    input[241 + 257 * i] = 255;
  }
  const m = decodeMessage(input);
  ok(m.options.get(43)!.length === 255 * 255);
});
