/**
 * IPv4 and UDP headers for DHCP over a raw packet socket.
 *
 * A client without an address cannot use the kernel's UDP stack to broadcast
 * from 0.0.0.0 (RFC 2131, section 4.1), so it writes the IPv4 and UDP headers
 * itself and the kernel adds only the Ethernet header. Receiving works the
 * other way round: the packet socket hands over everything from the IPv4
 * header on, and this module checks it before the DHCP codec sees a byte.
 *
 * @module
 */

import { ipv4FromBytes, ipv4ToBytes } from "../net/ipv4.ts";
import type { Datagram } from "./datagram.ts";

const IPV4_HEADER_LENGTH = 20;
const UDP_HEADER_LENGTH = 8;
const PROTOCOL_UDP = 17;
const FLAG_DONT_FRAGMENT = 0x4000;
const FLAG_MORE_FRAGMENTS = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;

/** A received packet is not a well-formed, unfragmented IPv4/UDP datagram. */
export class PacketError extends Error {
  /** The header field that failed the check, such as "total length". */
  readonly field: string;
  /** The byte offset of that field from the start of the IPv4 header. */
  readonly offset: number;

  /**
   * Creates the error.
   *
   * @param field The header field that failed the check.
   * @param offset Its byte offset from the start of the IPv4 header.
   * @param problem What was expected and what was found.
   */
  constructor(field: string, offset: number, problem: string) {
    super(`Invalid IPv4/UDP packet: ${field} at offset ${offset}: ${problem}`);
    this.name = "PacketError";
    this.field = field;
    this.offset = offset;
  }
}

/** What {@linkcode buildIpv4Udp} needs. */
export interface Ipv4UdpOptions {
  /** The IPv4 source address; "0.0.0.0" before a lease is bound. */
  source: string;
  /** The IPv4 destination address. */
  destination: string;
  /** The UDP source port. */
  sourcePort: number;
  /** The UDP destination port. */
  destinationPort: number;
  /** The UDP payload. */
  payload: Uint8Array;
  /**
   * The time to live.
   *
   * @default {64}
   */
  ttl?: number;
  /**
   * The IPv4 identification field.
   *
   * @default {0}
   */
  identification?: number;
}

/**
 * Computes the Internet checksum (RFC 1071) over byte ranges, as if they
 * were concatenated; every range but the last must have an even length.
 */
function internetChecksum(...ranges: Uint8Array[]): number {
  let sum = 0;
  for (const range of ranges) {
    for (let i = 0; i + 1 < range.length; i += 2) {
      sum += (range[i]! << 8) | range[i + 1]!;
    }
    if (range.length % 2 === 1) sum += range[range.length - 1]! << 8;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(
      `Invalid ${name}: expected an integer from 0 to ${max}, got ${value}`,
    );
  }
}

/**
 * Builds an IPv4 header, a UDP header and the payload into one packet, as a
 * SOCK_DGRAM packet socket sends it.
 *
 * The IPv4 header has no options and sets Don't Fragment; both checksums are
 * computed, the UDP one over the RFC 768 pseudo-header.
 *
 * @param options The addresses, ports, payload, TTL and identification.
 * @returns The packet, starting at the IPv4 header.
 * @throws {TypeError} If an address is not a dotted-quad IPv4 address.
 * @throws {RangeError} If a port, the TTL or the identification is out of
 * range, or the packet would exceed 65535 bytes.
 *
 * @example Build a DHCPDISCOVER broadcast
 * ```ts
 * import { buildIpv4Udp } from "./ipv4_udp.ts";
 * const packet = buildIpv4Udp({
 *   source: "0.0.0.0",
 *   destination: "255.255.255.255",
 *   sourcePort: 68,
 *   destinationPort: 67,
 *   payload: new Uint8Array(300),
 * });
 * packet.length; // 328
 * ```
 */
export function buildIpv4Udp(options: Ipv4UdpOptions): Uint8Array<ArrayBuffer> {
  const { payload, ttl = 64, identification = 0 } = options;
  checkUint("source port", options.sourcePort, 0xffff);
  checkUint("destination port", options.destinationPort, 0xffff);
  checkUint("TTL", ttl, 0xff);
  checkUint("identification", identification, 0xffff);
  const udpLength = UDP_HEADER_LENGTH + payload.length;
  const totalLength = IPV4_HEADER_LENGTH + udpLength;
  if (totalLength > 0xffff) {
    throw new RangeError(
      `Invalid payload: expected at most ${
        0xffff - IPV4_HEADER_LENGTH - UDP_HEADER_LENGTH
      } bytes, got ${payload.length}`,
    );
  }
  const source = ipv4ToBytes(options.source);
  const destination = ipv4ToBytes(options.destination);

  const packet = new Uint8Array(totalLength);
  const view = new DataView(packet.buffer);
  view.setUint8(0, 0x45); // version 4, IHL 5 words
  view.setUint16(2, totalLength);
  view.setUint16(4, identification);
  view.setUint16(6, FLAG_DONT_FRAGMENT);
  view.setUint8(8, ttl);
  view.setUint8(9, PROTOCOL_UDP);
  packet.set(source, 12);
  packet.set(destination, 16);
  view.setUint16(10, internetChecksum(packet.subarray(0, IPV4_HEADER_LENGTH)));

  const udp = packet.subarray(IPV4_HEADER_LENGTH);
  view.setUint16(IPV4_HEADER_LENGTH, options.sourcePort);
  view.setUint16(IPV4_HEADER_LENGTH + 2, options.destinationPort);
  view.setUint16(IPV4_HEADER_LENGTH + 4, udpLength);
  udp.set(payload, UDP_HEADER_LENGTH);
  const pseudo = new Uint8Array(12);
  pseudo.set(source, 0);
  pseudo.set(destination, 4);
  pseudo[9] = PROTOCOL_UDP;
  pseudo[10] = udpLength >>> 8;
  pseudo[11] = udpLength & 0xff;
  // RFC 768: a computed checksum of zero is sent as all ones, because zero
  // means "no checksum".
  const checksum = internetChecksum(pseudo, udp) || 0xffff;
  view.setUint16(IPV4_HEADER_LENGTH + 6, checksum);
  return packet;
}

/**
 * Parses a packet that starts at the IPv4 header into a UDP datagram.
 *
 * Bytes past the IPv4 total length (Ethernet padding) are ignored, as are
 * bytes past the UDP length within it, as the Linux UDP stack does.
 *
 * > [!NOTE]
 * > The UDP checksum is not verified: on veth and other offloading devices
 * > a packet socket sees the checksum before the device would have filled it
 * > in, so correct packets look corrupt.
 *
 * @param bytes The packet.
 * @returns The addresses, ports and a copy of the payload.
 * @throws {PacketError} If the packet is truncated, not IPv4, a fragment,
 * not UDP, has inconsistent lengths or a wrong IPv4 header checksum.
 *
 * @example Round trip
 * ```ts
 * import { buildIpv4Udp, parseIpv4Udp } from "./ipv4_udp.ts";
 * const packet = buildIpv4Udp({
 *   source: "192.0.2.1",
 *   destination: "255.255.255.255",
 *   sourcePort: 67,
 *   destinationPort: 68,
 *   payload: new Uint8Array([1, 2, 3]),
 * });
 * parseIpv4Udp(packet).source; // "192.0.2.1"
 * ```
 */
export function parseIpv4Udp(bytes: Uint8Array): Datagram {
  if (bytes.length < IPV4_HEADER_LENGTH) {
    throw new PacketError(
      "IPv4 header",
      0,
      `expected at least ${IPV4_HEADER_LENGTH} bytes, got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = view.getUint8(0);
  const version = first >>> 4;
  if (version !== 4) {
    throw new PacketError("version", 0, `expected 4, got ${version}`);
  }
  const headerLength = (first & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH || headerLength > bytes.length) {
    throw new PacketError(
      "IHL",
      0,
      `expected 20 to ${Math.min(60, bytes.length)} bytes, got ${headerLength}`,
    );
  }
  const totalLength = view.getUint16(2);
  if (totalLength < headerLength || totalLength > bytes.length) {
    throw new PacketError(
      "total length",
      2,
      `expected ${headerLength} to ${bytes.length} bytes, got ${totalLength}`,
    );
  }
  const headerChecksum = internetChecksum(bytes.subarray(0, headerLength));
  if (headerChecksum !== 0) {
    throw new PacketError(
      "header checksum",
      10,
      `expected a sum of 0xffff over the header, got a remainder of 0x${
        headerChecksum.toString(16)
      }`,
    );
  }
  const fragment = view.getUint16(6);
  if (
    (fragment & FLAG_MORE_FRAGMENTS) !== 0 ||
    (fragment & FRAGMENT_OFFSET_MASK) !== 0
  ) {
    throw new PacketError(
      "flags and fragment offset",
      6,
      `expected an unfragmented packet, got 0x${fragment.toString(16)}`,
    );
  }
  const protocol = view.getUint8(9);
  if (protocol !== PROTOCOL_UDP) {
    throw new PacketError("protocol", 9, `expected 17 (UDP), got ${protocol}`);
  }
  const available = totalLength - headerLength;
  if (available < UDP_HEADER_LENGTH) {
    throw new PacketError(
      "UDP header",
      headerLength,
      `expected at least ${UDP_HEADER_LENGTH} bytes, got ${available}`,
    );
  }
  const udpLength = view.getUint16(headerLength + 4);
  if (udpLength < UDP_HEADER_LENGTH || udpLength > available) {
    throw new PacketError(
      "UDP length",
      headerLength + 4,
      `expected ${UDP_HEADER_LENGTH} to ${available} bytes, got ${udpLength}`,
    );
  }
  const payloadStart = headerLength + UDP_HEADER_LENGTH;
  return {
    payload: bytes.slice(payloadStart, headerLength + udpLength),
    source: ipv4FromBytes(bytes, 12),
    sourcePort: view.getUint16(headerLength),
    destination: ipv4FromBytes(bytes, 16),
    destinationPort: view.getUint16(headerLength + 2),
  };
}
