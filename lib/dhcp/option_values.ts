/**
 * Typed reading and writing of the option values ocidhcp uses.
 *
 * Each getter returns undefined (or [] for lists) when the option is absent
 * and throws {@linkcode OptionError} when it is present but malformed: wrong
 * length, empty, a value out of the RFC's range. Text decodes as UTF-8;
 * trailing NULs are stripped (RFC 2132 says options are not NUL-terminated,
 * but some servers add one), while a NUL before other text or bytes that are
 * not UTF-8 are errors.
 *
 * @module
 */

import {
  ipv4FromBytes,
  maskToPrefix,
  parseIpv4,
  uint32FromBytes,
} from "../net/ipv4.ts";
import {
  type ClasslessRoute,
  decodeClasslessRoutes,
} from "./classless_routes.ts";
import { OptionCode, optionName } from "./constants.ts";
import { decodeDomainSearch } from "./domain_search.ts";
import { DecodeError, OptionError } from "./errors.ts";
import type { DhcpOptions } from "./options.ts";

export { OptionError } from "./errors.ts";
export type { ClasslessRoute } from "./classless_routes.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

function fail(code: number, detail: string, offset = 0): never {
  throw new OptionError(detail, optionName(code), offset);
}

function exactly(code: number, value: Uint8Array, length: number): void {
  if (value.length !== length) {
    fail(
      code,
      `value is ${value.length} bytes, expected ${length}`,
      Math.min(value.length, length),
    );
  }
}

function address(o: DhcpOptions, code: number): string | undefined {
  const value = o.get(code);
  if (value === undefined) return undefined;
  exactly(code, value, 4);
  return ipv4FromBytes(value, 0);
}

function addressList(o: DhcpOptions, code: number): string[] {
  const value = o.get(code);
  if (value === undefined) return [];
  if (value.length === 0 || value.length % 4 !== 0) {
    fail(
      code,
      `value is ${value.length} bytes, expected a non-zero multiple of 4`,
      value.length - (value.length % 4),
    );
  }
  const out: string[] = [];
  for (let at = 0; at < value.length; at += 4) {
    out.push(ipv4FromBytes(value, at));
  }
  return out;
}

function uint32(o: DhcpOptions, code: number): number | undefined {
  const value = o.get(code);
  if (value === undefined) return undefined;
  exactly(code, value, 4);
  return uint32FromBytes(value, 0);
}

function uint16(
  o: DhcpOptions,
  code: number,
  minimum: number,
): number | undefined {
  const value = o.get(code);
  if (value === undefined) return undefined;
  exactly(code, value, 2);
  const n = (value[0]! << 8) | value[1]!;
  if (n < minimum) fail(code, `value ${n} is below the minimum of ${minimum}`);
  return n;
}

function text(o: DhcpOptions, code: number): string | undefined {
  const value = o.get(code);
  if (value === undefined) return undefined;
  let end = value.length;
  while (end > 0 && value[end - 1] === 0) end--;
  if (end === 0) {
    fail(
      code,
      value.length === 0 ? "value is empty" : "value is only NUL bytes",
    );
  }
  const nul = value.indexOf(0);
  if (nul !== -1 && nul < end) {
    fail(code, `NUL byte at offset ${nul} before the end of the text`, nul);
  }
  try {
    return utf8.decode(value.subarray(0, end));
  } catch {
    fail(code, "value is not valid UTF-8");
  }
}

function decoded<T>(code: number, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof DecodeError && !(error instanceof OptionError)) {
      const prefix = /^Cannot decode [^:]*: /;
      fail(code, error.message.replace(prefix, ""), error.offset);
    }
    throw error;
  }
}

/**
 * Subnet mask (1).
 *
 * @param o The options.
 * @returns The mask as a dotted quad, or undefined.
 * @throws {OptionError} If not 4 bytes or not contiguous ones then zeros.
 */
export function subnetMask(o: DhcpOptions): string | undefined {
  const value = o.get(OptionCode.SUBNET_MASK);
  if (value === undefined) return undefined;
  exactly(OptionCode.SUBNET_MASK, value, 4);
  const mask = ipv4FromBytes(value, 0);
  try {
    // The number, not the text: parsing the text again would cost more
    // than the rest of this getter.
    maskToPrefix(uint32FromBytes(value, 0));
  } catch {
    fail(OptionCode.SUBNET_MASK, `mask ${mask} is not contiguous`);
  }
  return mask;
}

/**
 * Router (3).
 *
 * @param o The options.
 * @returns The routers in order of preference, [] when absent.
 * @throws {OptionError} If not a non-zero multiple of 4 bytes.
 */
export function routers(o: DhcpOptions): string[] {
  return addressList(o, OptionCode.ROUTER);
}

/**
 * Domain name server (6).
 *
 * @param o The options.
 * @returns The servers in order of preference, [] when absent.
 * @throws {OptionError} If not a non-zero multiple of 4 bytes.
 */
export function domainNameServers(o: DhcpOptions): string[] {
  return addressList(o, OptionCode.DOMAIN_NAME_SERVER);
}

/**
 * Host name (12).
 *
 * @param o The options.
 * @returns The name, or undefined.
 * @throws {OptionError} If empty, not UTF-8 or with a NUL inside.
 */
export function hostName(o: DhcpOptions): string | undefined {
  return text(o, OptionCode.HOST_NAME);
}

/**
 * Domain name (15).
 *
 * @param o The options.
 * @returns The name, or undefined.
 * @throws {OptionError} If empty, not UTF-8 or with a NUL inside.
 */
export function domainName(o: DhcpOptions): string | undefined {
  return text(o, OptionCode.DOMAIN_NAME);
}

/**
 * Broadcast address (28).
 *
 * @param o The options.
 * @returns The address, or undefined.
 * @throws {OptionError} If not 4 bytes.
 */
export function broadcastAddress(o: DhcpOptions): string | undefined {
  return address(o, OptionCode.BROADCAST_ADDRESS);
}

/**
 * Interface MTU (26).
 *
 * @param o The options.
 * @returns The MTU, or undefined.
 * @throws {OptionError} If not 2 bytes or below 68 (RFC 2132 §5.1).
 */
export function interfaceMtu(o: DhcpOptions): number | undefined {
  return uint16(o, OptionCode.INTERFACE_MTU, 68);
}

/**
 * Requested IP address (50).
 *
 * @param o The options.
 * @returns The address, or undefined.
 * @throws {OptionError} If not 4 bytes.
 */
export function requestedIpAddress(o: DhcpOptions): string | undefined {
  return address(o, OptionCode.REQUESTED_IP_ADDRESS);
}

/**
 * IP address lease time (51).
 *
 * @param o The options.
 * @returns The raw seconds (0xffffffff is infinite), or undefined.
 * @throws {OptionError} If not 4 bytes.
 */
export function ipAddressLeaseTime(o: DhcpOptions): number | undefined {
  return uint32(o, OptionCode.IP_ADDRESS_LEASE_TIME);
}

/**
 * DHCP message type (53).
 *
 * @param o The options.
 * @returns The raw type number, or undefined.
 * @throws {OptionError} If not 1 byte.
 */
export function dhcpMessageType(o: DhcpOptions): number | undefined {
  const value = o.get(OptionCode.DHCP_MESSAGE_TYPE);
  if (value === undefined) return undefined;
  exactly(OptionCode.DHCP_MESSAGE_TYPE, value, 1);
  return value[0]!;
}

/**
 * Server identifier (54).
 *
 * @param o The options.
 * @returns The address, or undefined.
 * @throws {OptionError} If not 4 bytes.
 */
export function serverIdentifier(o: DhcpOptions): string | undefined {
  return address(o, OptionCode.SERVER_IDENTIFIER);
}

/**
 * Parameter request list (55).
 *
 * @param o The options.
 * @returns The codes in order, [] when absent.
 * @throws {OptionError} If empty.
 */
export function parameterRequestList(o: DhcpOptions): number[] {
  const value = o.get(OptionCode.PARAMETER_REQUEST_LIST);
  if (value === undefined) return [];
  if (value.length === 0) {
    fail(OptionCode.PARAMETER_REQUEST_LIST, "value is empty");
  }
  return [...value];
}

/**
 * Maximum DHCP message size (57).
 *
 * @param o The options.
 * @returns The size, or undefined.
 * @throws {OptionError} If not 2 bytes or below 576 (RFC 2132 §9.10).
 */
export function maximumDhcpMessageSize(o: DhcpOptions): number | undefined {
  return uint16(o, OptionCode.MAXIMUM_DHCP_MESSAGE_SIZE, 576);
}

/**
 * Renewal (T1) time value (58).
 *
 * @param o The options.
 * @returns The raw seconds, or undefined.
 * @throws {OptionError} If not 4 bytes.
 */
export function renewalTimeValue(o: DhcpOptions): number | undefined {
  return uint32(o, OptionCode.RENEWAL_TIME_VALUE);
}

/**
 * Rebinding (T2) time value (59).
 *
 * @param o The options.
 * @returns The raw seconds, or undefined.
 * @throws {OptionError} If not 4 bytes.
 */
export function rebindingTimeValue(o: DhcpOptions): number | undefined {
  return uint32(o, OptionCode.REBINDING_TIME_VALUE);
}

/**
 * Vendor class identifier (60).
 *
 * @param o The options.
 * @returns The identifier as text, or undefined.
 * @throws {OptionError} If empty, not UTF-8 or with a NUL inside.
 */
export function vendorClassIdentifier(o: DhcpOptions): string | undefined {
  return text(o, OptionCode.VENDOR_CLASS_IDENTIFIER);
}

/**
 * Client identifier (61).
 *
 * @param o The options.
 * @returns A copy of the raw identifier (type byte first), or undefined.
 * @throws {OptionError} If shorter than 2 bytes (RFC 2132 §9.14).
 */
export function clientIdentifier(o: DhcpOptions): Uint8Array | undefined {
  const value = o.get(OptionCode.CLIENT_IDENTIFIER);
  if (value === undefined) return undefined;
  if (value.length < 2) {
    fail(
      OptionCode.CLIENT_IDENTIFIER,
      `value is ${value.length} bytes, the minimum is 2`,
      value.length,
    );
  }
  return value.slice();
}

/**
 * Message (56), the text of a DHCPNAK or DHCPDECLINE.
 *
 * @param o The options.
 * @returns The text, or undefined.
 * @throws {OptionError} If empty, not UTF-8 or with a NUL inside.
 */
export function message(o: DhcpOptions): string | undefined {
  return text(o, OptionCode.MESSAGE);
}

/**
 * Domain search (119), RFC 3397.
 *
 * @param o The options.
 * @returns The names, [] when absent.
 * @throws {OptionError} If empty or malformed (see
 * {@linkcode decodeDomainSearch}).
 */
export function domainSearch(o: DhcpOptions): string[] {
  const value = o.get(OptionCode.DOMAIN_SEARCH);
  if (value === undefined) return [];
  if (value.length === 0) fail(OptionCode.DOMAIN_SEARCH, "value is empty");
  return decoded(OptionCode.DOMAIN_SEARCH, () => decodeDomainSearch(value));
}

/**
 * Classless static route (121), RFC 3442.
 *
 * @param o The options.
 * @returns The routes, or undefined when absent.
 * @throws {OptionError} If empty or malformed (see
 * {@linkcode decodeClasslessRoutes}).
 */
export function classlessStaticRoutes(
  o: DhcpOptions,
): ClasslessRoute[] | undefined {
  const value = o.get(OptionCode.CLASSLESS_STATIC_ROUTE);
  if (value === undefined) return undefined;
  if (value.length === 0) {
    fail(OptionCode.CLASSLESS_STATIC_ROUTE, "value is empty");
  }
  return decoded(
    OptionCode.CLASSLESS_STATIC_ROUTE,
    () => decodeClasslessRoutes(value),
  );
}

/**
 * Encodes addresses as consecutive 4-byte values.
 *
 * @param addresses Dotted quads.
 * @returns 4 bytes per address.
 * @throws {TypeError} If an address is not a dotted quad.
 */
export function encodeIpv4List(addresses: readonly string[]): Uint8Array {
  const out = new Uint8Array(4 * addresses.length);
  addresses.forEach((text, i) => {
    const n = parseIpv4(text);
    out[4 * i] = n >>> 24;
    out[4 * i + 1] = (n >>> 16) & 0xff;
    out[4 * i + 2] = (n >>> 8) & 0xff;
    out[4 * i + 3] = n & 0xff;
  });
  return out;
}

function checkUint(n: number, max: number, bits: number): void {
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new RangeError(
      `Value must be an unsigned ${bits}-bit integer, got ${n}`,
    );
  }
}

/**
 * @param n An unsigned 32-bit integer.
 * @returns 4 bytes, network order.
 * @throws {RangeError} If out of range.
 */
export function encodeUint32(n: number): Uint8Array {
  checkUint(n, 0xffffffff, 32);
  return new Uint8Array([
    n >>> 24,
    (n >>> 16) & 0xff,
    (n >>> 8) & 0xff,
    n & 0xff,
  ]);
}

/**
 * @param n An unsigned 16-bit integer.
 * @returns 2 bytes, network order.
 * @throws {RangeError} If out of range.
 */
export function encodeUint16(n: number): Uint8Array {
  checkUint(n, 0xffff, 16);
  return new Uint8Array([n >>> 8, n & 0xff]);
}

/**
 * @param n An unsigned 8-bit integer.
 * @returns 1 byte.
 * @throws {RangeError} If out of range.
 */
export function encodeUint8(n: number): Uint8Array {
  checkUint(n, 0xff, 8);
  return new Uint8Array([n]);
}

/**
 * Encodes text as UTF-8, without a terminating NUL (RFC 2132 §2).
 *
 * @param s The text.
 * @returns Its UTF-8 bytes.
 */
export function encodeText(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}
