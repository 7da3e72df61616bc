/**
 * The classless static route option, 121 (RFC 3442).
 *
 * Each route is a destination descriptor, the prefix length then only the
 * significant octets of the destination (ceil(prefix / 8) of them), followed
 * by the four octets of the router. A router of 0.0.0.0 means the
 * destination is on-link.
 *
 * @module
 */

import { formatIpv4, parseIpv4, prefixToMask } from "../net/ipv4.ts";
import { DecodeError } from "./errors.ts";

/** One route of option 121. */
export interface ClasslessRoute {
  /** The network address, such as "10.0.0.0". */
  destination: string;
  /** The prefix length, 0 to 32. */
  prefix: number;
  /** The router, or "0.0.0.0" for an on-link destination. */
  gateway: string;
}

const FIELD = "classless static route (121)";

function fail(detail: string, offset: number): never {
  throw new DecodeError(detail, FIELD, offset, "classless static routes");
}

/**
 * Decodes classless static routes.
 *
 * Destination bits beyond the prefix length are masked off: RFC 3442 §2
 * leaves them out of the significant octets, but the last significant octet
 * may still carry some (10.1.2.3 with prefix 12 sends 12.10.1), and a route
 * to "10.1.0.0/12" is one the kernel refuses, so the destination returned is
 * always the network address, here 10.0.0.0.
 *
 * @param value The option value.
 * @returns The routes in order; an empty value gives [].
 * @throws {DecodeError} On a prefix length over 32 or a truncated route.
 */
export function decodeClasslessRoutes(value: Uint8Array): ClasslessRoute[] {
  const routes: ClasslessRoute[] = [];
  let at = 0;
  while (at < value.length) {
    const prefix = value[at]!;
    if (prefix > 32) {
      fail(`route at offset ${at} has prefix length ${prefix}, over 32`, at);
    }
    const significant = Math.ceil(prefix / 8);
    const needed = 1 + significant + 4;
    if (at + needed > value.length) {
      fail(
        `route at offset ${at} with prefix length ${prefix} needs ${needed} bytes but ${
          value.length - at
        } remain`,
        at,
      );
    }
    let destination = 0;
    for (let i = 0; i < 4; i++) {
      destination = destination * 256 +
        (i < significant ? value[at + 1 + i]! : 0);
    }
    destination = (destination & prefixToMask(prefix)) >>> 0;
    const g = at + 1 + significant;
    routes.push({
      destination: formatIpv4(destination),
      prefix,
      gateway: `${value[g]}.${value[g + 1]}.${value[g + 2]}.${value[g + 3]}`,
    });
    at += needed;
  }
  return routes;
}

/**
 * Encodes classless static routes.
 *
 * @param routes The routes; each destination must be a network address, with
 * no bit set beyond its prefix.
 * @returns The option value (possibly over 255 bytes, which
 * {@linkcode DhcpOptions} splits on the wire).
 * @throws {TypeError} If an address is not a dotted quad.
 * @throws {RangeError} If a prefix is not 0 to 32 or a destination has host
 * bits set.
 */
export function encodeClasslessRoutes(
  routes: readonly ClasslessRoute[],
): Uint8Array {
  const bytes: number[] = [];
  for (const route of routes) {
    const destination = parseIpv4(route.destination);
    const mask = prefixToMask(route.prefix);
    if (((destination & ~mask) >>> 0) !== 0) {
      throw new RangeError(
        `Route destination ${route.destination} has bits set beyond prefix /${route.prefix}`,
      );
    }
    const gateway = parseIpv4(route.gateway);
    bytes.push(route.prefix);
    for (let i = 0; i < Math.ceil(route.prefix / 8); i++) {
      bytes.push((destination >>> (24 - 8 * i)) & 0xff);
    }
    bytes.push(
      gateway >>> 24,
      (gateway >>> 16) & 0xff,
      (gateway >>> 8) & 0xff,
      gateway & 0xff,
    );
  }
  return new Uint8Array(bytes);
}
