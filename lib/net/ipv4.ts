/**
 * IPv4 addresses and prefixes, parsed strictly.
 *
 * Addresses travel through ocidhcp as dotted-quad strings (what `ip` prints
 * and accepts) and are turned into 32-bit numbers only for arithmetic. The
 * parser accepts exactly four decimal octets without leading zeros, so that
 * "010.0.0.1" (octal to inet_aton) and "1.2.3" never slip through.
 *
 * @module
 */

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Parses a dotted-quad IPv4 address into an unsigned 32-bit number.
 *
 * @param text The address, such as "192.0.2.1".
 * @returns The address as an unsigned 32-bit integer.
 * @throws {TypeError} If the text is not four decimal octets of 0 to 255.
 *
 * @example Parse an address
 * ```ts
 * import { parseIpv4 } from "./ipv4.ts";
 * parseIpv4("192.0.2.1"); // 3221225985
 * ```
 */
export function parseIpv4(text: string): number {
  const value = scanIpv4(text);
  if (value !== -1) return value;
  // Only invalid text gets here; split it to say which part is wrong.
  const parts = text.split(".");
  if (parts.length !== 4) {
    throw new TypeError(
      `Invalid IPv4 address: expected 4 octets, got "${text}"`,
    );
  }
  const bad = parts.find((part) => !OCTET.test(part) || Number(part) > 255);
  throw new TypeError(
    `Invalid IPv4 address: octet "${bad}" is not 0 to 255 in "${text}"`,
  );
}

/**
 * Reads a dotted quad in one pass over its characters, -1 when it is not
 * four decimal octets of 0 to 255 without leading zeros. Addresses are
 * parsed on every message encoded, so this avoids the arrays and regular
 * expression matches of splitting the text.
 */
function scanIpv4(text: string): number {
  const length = text.length;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + (c - 0x30);
      if (octet > 255) return -1;
      digits++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/**
 * Tells whether a string is a strictly valid dotted-quad IPv4 address.
 *
 * @param text The candidate address.
 * @returns True when {@linkcode parseIpv4} would accept it.
 */
export function isIpv4(text: string): boolean {
  try {
    parseIpv4(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Formats an unsigned 32-bit number as a dotted-quad IPv4 address.
 *
 * @param value The address as an integer from 0 to 2^32 - 1.
 * @returns The dotted-quad form.
 * @throws {RangeError} If the value is not an integer in range.
 */
export function formatIpv4(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`IPv4 value must be 0 to 4294967295, got ${value}`);
  }
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${
    value & 255
  }`;
}

/**
 * Formats four bytes at an offset as a dotted-quad IPv4 address.
 *
 * @param bytes The buffer holding the address in network order.
 * @param offset Where the address starts.
 * @returns The dotted-quad form.
 * @throws {RangeError} If fewer than four bytes remain at the offset.
 */
export function ipv4FromBytes(bytes: Uint8Array, offset = 0): string {
  if (offset < 0 || offset + 4 > bytes.length) {
    throw new RangeError(
      `IPv4 address needs 4 bytes at offset ${offset}, buffer has ${bytes.length}`,
    );
  }
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${
    bytes[offset + 3]
  }`;
}

/**
 * Reads four bytes at an offset as an unsigned 32-bit number in network
 * order, as IPv4 addresses, lease times and the DHCP magic cookie travel.
 *
 * @param bytes The buffer.
 * @param offset Where the number starts; the caller has checked that four
 * bytes remain.
 * @returns The number, 0 to 2^32 - 1.
 */
export function uint32FromBytes(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) |
    (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

/**
 * Encodes a dotted-quad IPv4 address as four bytes in network order.
 *
 * @param text The address.
 * @returns Four bytes.
 * @throws {TypeError} If the address is not valid.
 */
export function ipv4ToBytes(text: string): Uint8Array {
  const value = parseIpv4(text);
  return new Uint8Array([
    value >>> 24,
    (value >>> 16) & 255,
    (value >>> 8) & 255,
    value & 255,
  ]);
}

/**
 * Returns the netmask of a prefix length as an unsigned 32-bit number.
 *
 * @param prefix The prefix length, 0 to 32.
 * @returns The mask, such as 0xffffff00 for 24.
 * @throws {RangeError} If the prefix is not an integer from 0 to 32.
 */
export function prefixToMask(prefix: number): number {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new RangeError(`Prefix length must be 0 to 32, got ${prefix}`);
  }
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * Returns the prefix length of a contiguous netmask.
 *
 * @param mask The mask as a dotted quad or an unsigned 32-bit number.
 * @returns The number of leading one bits.
 * @throws {RangeError} If the mask has a zero bit before a one bit, as
 * 255.0.255.0 does (RFC 950 masks are contiguous in practice and the kernel
 * accepts nothing else).
 */
export function maskToPrefix(mask: string | number): number {
  const value = typeof mask === "string" ? parseIpv4(mask) : mask;
  const inverted = ~value >>> 0;
  if ((inverted & (inverted + 1)) !== 0) {
    throw new RangeError(
      `Netmask must be contiguous ones then zeros, got ${formatIpv4(value)}`,
    );
  }
  return 32 - Math.log2(inverted + 1);
}

/**
 * Returns the network address of an address within a prefix.
 *
 * @param address The address.
 * @param prefix The prefix length.
 * @returns The network address as a dotted quad.
 */
export function networkAddress(address: string, prefix: number): string {
  return formatIpv4((parseIpv4(address) & prefixToMask(prefix)) >>> 0);
}

/**
 * Returns the directed broadcast address of an address within a prefix.
 *
 * @param address The address.
 * @param prefix The prefix length.
 * @returns The broadcast address as a dotted quad.
 */
export function broadcastAddress(address: string, prefix: number): string {
  return formatIpv4((parseIpv4(address) | ~prefixToMask(prefix)) >>> 0);
}

/**
 * Tells whether an address lies within a network.
 *
 * @param address The address to test.
 * @param network Any address of the network.
 * @param prefix The network's prefix length.
 * @returns True when both share the first `prefix` bits.
 */
export function inSubnet(
  address: string,
  network: string,
  prefix: number,
): boolean {
  const mask = prefixToMask(prefix);
  return ((parseIpv4(address) & mask) >>> 0) ===
    ((parseIpv4(network) & mask) >>> 0);
}

/** Why an address is not acceptable as a host's own unicast address. */
export type UnicastProblem =
  | "unspecified"
  | "limited broadcast"
  | "loopback"
  | "multicast"
  | "reserved"
  | "this network";

/**
 * Tells why an address cannot be a unicast host address, or null when it can.
 *
 * @param address The address to check.
 * @returns The problem, or null for a usable unicast address.
 */
export function unicastProblem(address: string): UnicastProblem | null {
  const value = parseIpv4(address);
  const first = value >>> 24;
  if (value === 0) return "unspecified";
  if (value === 0xffffffff) return "limited broadcast";
  if (first === 0) return "this network";
  if (first === 127) return "loopback";
  if (first >= 224 && first <= 239) return "multicast";
  if (first >= 240) return "reserved";
  return null;
}
