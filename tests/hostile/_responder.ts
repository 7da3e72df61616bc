/**
 * A scriptable, hostile DHCP responder for end-to-end tests of the client.
 *
 * Run in a server namespace with a JSON scenario as its only argument:
 *
 * ```sh
 * ip netns exec NS deno run -A --unstable-net tests/hostile/_responder.ts \
 *   '{"interface":"srv0","serverId":"198.18.0.1","address":"198.18.0.100"}'
 * ```
 *
 * It receives requests on an AF_PACKET socket bound to the interface (port
 * 67) and answers each DHCPDISCOVER with the scenario's `offer` replies and
 * each DHCPREQUEST with its `ack` replies, in order, all broadcast to port
 * 68. Each reply can lie about the xid, the chaddr, the server identifier,
 * the yiaddr, the message type or any option. A `flood` sends DHCPNAKs for
 * the last transaction seen and DHCPOFFERs from several server identifiers
 * on a timer, whatever the client does.
 *
 * It prints "listening on IF" when ready, then one line per message.
 *
 * Limitations: every reply is broadcast to 255.255.255.255:68 whatever the
 * broadcast flag says; DHCPDECLINE, DHCPRELEASE and DHCPINFORM are ignored;
 * there is no lease store, so each DHCPREQUEST gets the scripted replies.
 */

import {
  createMessage,
  decodeMessage,
  type DhcpMessage,
  encodeMessage,
  parseMac,
} from "../../lib/dhcp/message.ts";
import { DhcpOptions } from "../../lib/dhcp/options.ts";
import {
  dhcpMessageType,
  requestedIpAddress,
} from "../../lib/dhcp/option_values.ts";
import { parseIpv4 } from "../../lib/net/ipv4.ts";
import { PacketSocket } from "../../lib/transport/packet_socket.ts";

/** Option values by code ("51"), as bytes; null removes a default. */
export type OptionValues = Record<string, readonly number[] | null>;

/** One reply to send, as a change to the honest reply. */
export interface Variant {
  /** The message type to send instead of OFFER or ACK. */
  type?: "OFFER" | "ACK" | "NAK";
  /** Added to the request's xid (mod 2^32). */
  xidDelta?: number;
  /** Another chaddr, such as "02:00:00:00:00:99". */
  chaddr?: string;
  /** Option 54 and the IPv4 source. */
  serverId?: string;
  /** The yiaddr. */
  yiaddr?: string;
  /** Options over the scenario's. */
  options?: OptionValues;
}

/** What the responder does. */
export interface Scenario {
  /** The interface to serve, such as "srv0". */
  interface: string;
  /** The honest server identifier and IPv4 source. */
  serverId: string;
  /**
   * The address offered. An ACK gives the address requested (option 50 or
   * ciaddr) unless its variant says otherwise.
   */
  address: string;
  /** Options over the defaults: mask /24, router serverId, lease 3600 s. */
  options?: OptionValues;
  /** Replies to each DHCPDISCOVER; the default is one honest OFFER. */
  offer?: Variant[];
  /** Replies to each DHCPREQUEST; the default is one honest ACK. */
  ack?: Variant[];
  /**
   * Before each reply, copies of it with random bytes overwritten in the
   * options (xid and chaddr kept, so the client parses them).
   */
  garble?: {
    /** Garbled copies per reply. */
    copies: number;
    /** Bytes overwritten in each copy. */
    bytes: number;
    /** The PRNG seed, for a reproducible run. */
    seed: number;
  };
  /** Unsolicited replies on a timer. */
  flood?: {
    /** The period in milliseconds. */
    everyMs: number;
    /** DHCPNAKs per period for the last xid, from the first server. */
    naks: number;
    /** The server identifiers that each send a DHCPOFFER per period. */
    offerFrom: string[];
    /** How long after the first request to start, in milliseconds. */
    delayMs?: number;
  };
}

const TYPES = { OFFER: 2, ACK: 5, NAK: 6 } as const;
const DISCOVER = 1;
const REQUEST = 3;

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

/** mulberry32, a small seeded PRNG. */
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

function defaultOptions(scenario: Scenario): OptionValues {
  return {
    "1": [255, 255, 255, 0],
    "3": scenario.serverId.split(".").map(Number),
    "51": [0, 0, 0x0e, 0x10],
  };
}

/** Builds one reply to a request. */
function reply(
  scenario: Scenario,
  request: DhcpMessage,
  variant: Variant,
  honestType: "OFFER" | "ACK",
): { bytes: Uint8Array; server: string; summary: string } {
  const type = variant.type ?? honestType;
  const server = variant.serverId ?? scenario.serverId;
  let yiaddr = variant.yiaddr;
  if (yiaddr === undefined) {
    if (type === "NAK") yiaddr = "0.0.0.0";
    else if (type === "ACK") {
      yiaddr = requestedIpAddress(request.options) ??
        (request.ciaddr !== "0.0.0.0" ? request.ciaddr : scenario.address);
    } else yiaddr = scenario.address;
  }
  const values: OptionValues = type === "NAK" ? {} : {
    ...defaultOptions(scenario),
    ...scenario.options,
    ...variant.options,
  };
  const options = new DhcpOptions([
    [53, new Uint8Array([TYPES[type]])],
    [54, new Uint8Array(server.split(".").map(Number))],
  ]);
  for (const [code, value] of Object.entries(values)) {
    if (value !== null) options.set(Number(code), new Uint8Array(value));
  }
  const xid = (request.xid + (variant.xidDelta ?? 0)) >>> 0;
  const message = createMessage({
    op: 2,
    htype: request.htype,
    hlen: request.hlen,
    xid,
    flags: request.flags,
    yiaddr,
    siaddr: server,
    chaddr: variant.chaddr === undefined
      ? request.chaddr
      : parseMac(variant.chaddr),
    options,
  });
  return {
    bytes: encodeMessage(message),
    server,
    summary: `${type} xid ${hex(xid)} yiaddr ${yiaddr} from ${server}`,
  };
}

async function main(scenario: Scenario): Promise<void> {
  // Check the addresses early, so a bad scenario fails loudly.
  parseIpv4(scenario.serverId);
  parseIpv4(scenario.address);
  const socket = PacketSocket.open(scenario.interface, { port: 67 });
  // Unicast renewals also reach the kernel's UDP stack; a listener there
  // keeps it from answering with ICMP port unreachable.
  const sink = Deno.listenDatagram({
    hostname: "0.0.0.0",
    port: 67,
    transport: "udp",
  });
  (async () => {
    for await (const _ of sink) { /* the packet socket answers */ }
  })().catch(() => {});
  const random = prng(scenario.garble?.seed ?? 1);
  let last: DhcpMessage | undefined;
  let sent = 0;
  const send = async (
    built: { bytes: Uint8Array; server: string; summary: string },
    quiet = false,
  ): Promise<void> => {
    await socket.send(built.bytes, {
      source: built.server,
      destination: "255.255.255.255",
      destinationPort: 68,
    });
    sent++;
    if (!quiet) console.log(`sent ${built.summary}`);
  };
  const flood = scenario.flood;
  let floodFrom = Infinity;
  if (flood !== undefined) {
    setInterval(async () => {
      if (last === undefined || performance.now() < floodFrom) return;
      try {
        for (let i = 0; i < flood.naks; i++) {
          await send(reply(scenario, last, { type: "NAK" }, "ACK"), true);
        }
        for (const server of flood.offerFrom) {
          await send(
            reply(scenario, last, { serverId: server }, "OFFER"),
            true,
          );
        }
      } catch (error) {
        console.log(`flood failed: ${error}`);
      }
    }, flood.everyMs);
    setInterval(() => console.log(`flood: ${sent} replies sent`), 1000);
  }
  console.log(`listening on ${scenario.interface}`);
  while (true) {
    const datagram = await socket.receive();
    let request: DhcpMessage;
    let type: number | undefined;
    try {
      request = decodeMessage(datagram.payload);
      type = dhcpMessageType(request.options);
    } catch (error) {
      console.log(`ignored malformed request: ${error}`);
      continue;
    }
    if (request.op !== 1) continue;
    console.log(
      `received type ${type} xid ${hex(request.xid)} from ${datagram.source}`,
    );
    if (last === undefined) {
      floodFrom = performance.now() + (flood?.delayMs ?? 0);
    }
    last = request;
    let variants: Variant[];
    let honest: "OFFER" | "ACK";
    if (type === DISCOVER) {
      variants = scenario.offer ?? [{}];
      honest = "OFFER";
    } else if (type === REQUEST) {
      variants = scenario.ack ?? [{}];
      honest = "ACK";
    } else continue;
    for (const variant of variants) {
      const built = reply(scenario, request, variant, honest);
      for (let i = 0; i < (scenario.garble?.copies ?? 0); i++) {
        const bytes = built.bytes.slice();
        for (let j = 0; j < scenario.garble!.bytes; j++) {
          const at = 240 + Math.floor(random() * (bytes.length - 240));
          bytes[at] = Math.floor(random() * 256);
        }
        await send({ ...built, bytes }, true);
      }
      await send(built);
    }
  }
}

if (import.meta.main) {
  const [json] = Deno.args;
  if (json === undefined) {
    console.error("error: expected a JSON scenario argument");
    Deno.exit(2);
  }
  await main(JSON.parse(json) as Scenario);
}
