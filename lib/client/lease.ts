/**
 * A DHCPv4 lease: the configuration a DHCPACK grants, checked and with its
 * timers settled.
 *
 * @module
 */

import type { ClasslessRoute } from "../dhcp/classless_routes.ts";
import { INFINITE_TIME } from "../dhcp/constants.ts";
import { OptionError } from "../dhcp/errors.ts";
import type { DhcpMessage } from "../dhcp/message.ts";
import type { DhcpOptions } from "../dhcp/options.ts";
import {
  broadcastAddress as broadcastAddressOption,
  classlessStaticRoutes,
  domainName,
  domainNameServers,
  domainSearch,
  hostName,
  interfaceMtu,
  ipAddressLeaseTime,
  rebindingTimeValue,
  renewalTimeValue,
  routers,
  serverIdentifier,
  subnetMask,
} from "../dhcp/option_values.ts";
import {
  broadcastAddress,
  maskToPrefix,
  networkAddress,
  parseIpv4,
  unicastProblem,
} from "../net/ipv4.ts";

/** The smallest MTU an IPv4 host must accept (RFC 791, RFC 2132 5.1). */
const MINIMUM_MTU = 68;

/** The configuration granted by a DHCPACK, with its timers. */
export interface Lease {
  /** The interface the lease was obtained on. */
  interface: string;
  /** The leased address (yiaddr). */
  address: string;
  /** The prefix length, from option 1 or the classful default. */
  prefix: number;
  /** The server that granted the lease (option 54). */
  serverIdentifier: string;
  /** Routers in order of preference (option 3), possibly empty. */
  routers: string[];
  /** DNS servers in order of preference (option 6), possibly empty. */
  domainNameServers: string[];
  /** The domain name (option 15). */
  domainName?: string;
  /** The domain search list (option 119), possibly empty. */
  domainSearch: string[];
  /**
   * Classless static routes (option 121). RFC 3442 says a client that
   * received them must ignore the router option; applying them is the
   * caller's business, so both are kept here.
   */
  classlessStaticRoutes?: ClasslessRoute[];
  /** The interface MTU (option 26), at least 68. */
  interfaceMtu?: number;
  /** The broadcast address (option 28). */
  broadcastAddress?: string;
  /** The host name the server assigned (option 12). */
  hostName?: string;
  /** The lease duration in seconds; Infinity for an infinite lease. */
  leaseTime: number;
  /** T1, seconds from acquiredAt until RENEWING; Infinity if infinite. */
  renewalTime: number;
  /** T2, seconds from acquiredAt until REBINDING; Infinity if infinite. */
  rebindingTime: number;
  /**
   * Monotonic milliseconds at which the DHCPREQUEST that earned the DHCPACK
   * was first sent: RFC 2131 section 4.4.1 counts the lease from then, not
   * from the arrival of the answer.
   */
  acquiredAt: number;
  /** The DHCPACK's raw options, for hooks. */
  options: DhcpOptions;
}

/** What {@linkcode leaseFromAck} needs besides the DHCPACK. */
export interface LeaseContext {
  /** The interface the DHCPACK arrived on. */
  interface: string;
  /** Monotonic milliseconds at which the DHCPREQUEST was first sent. */
  acquiredAt: number;
}

/** A lease and the problems that were worked around to accept it. */
export interface LeaseResult {
  /** The accepted lease. */
  lease: Lease;
  /** Human-readable notes about dropped options and corrected timers. */
  warnings: string[];
}

/** Thrown by {@linkcode leaseFromAck} when a DHCPACK cannot be used. */
export class LeaseError extends Error {
  /** The interface the DHCPACK arrived on. */
  readonly interface: string;

  /**
   * Creates a lease error.
   *
   * @param iface The interface the DHCPACK arrived on.
   * @param message What is wrong, for a user to act on.
   * @param options The underlying cause, if any.
   */
  constructor(iface: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LeaseError";
    this.interface = iface;
  }
}

// Drops gateways no host can route through: a server that names the
// broadcast, a multicast or loopback address, or the client itself, would
// otherwise get a default route installed through it.
function usableGateways(
  gateways: readonly string[],
  address: string,
  what: string,
  warnings: string[],
): string[] {
  return gateways.filter((gateway) => {
    const problem = gateway === address
      ? "the leased address itself"
      : unicastProblem(gateway);
    if (problem === null) return true;
    warnings.push(`ignored gateway ${gateway} in ${what}: ${problem}`);
    return false;
  });
}

/**
 * Returns the classful prefix of an address (RFC 791): /8 for class A, /16
 * for class B, /24 otherwise. dhcpcd falls back to this too when a server
 * sends no subnet mask.
 */
function classfulPrefix(address: string): number {
  const first = parseIpv4(address) >>> 24;
  if (first < 128) return 8;
  if (first < 192) return 16;
  return 24;
}

/**
 * Reads an optional option, turning a malformed value into a warning.
 */
function optional<T>(
  read: () => T,
  fallback: T,
  what: string,
  warnings: string[],
): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    warnings.push(`ignored malformed ${what}: ${error.message}`);
    return fallback;
  }
}

/**
 * Reads a required option, turning a malformed value into a LeaseError.
 */
function required<T>(iface: string, read: () => T, what: string): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    throw new LeaseError(
      iface,
      `DHCPACK on ${iface} has a malformed ${what}: ${error.message}`,
      { cause: error },
    );
  }
}

interface Timers {
  leaseTime: number;
  renewalTime: number;
  rebindingTime: number;
}

/**
 * Settles T1 and T2 as RFC 2131 section 4.4.5 says: the server's options
 * 58 and 59 when they are consistent, else 0.5 and 0.875 of the lease.
 */
function settleTimers(
  options: DhcpOptions,
  leaseSeconds: number,
  warnings: string[],
): Timers {
  if (leaseSeconds === INFINITE_TIME) {
    return {
      leaseTime: Infinity,
      renewalTime: Infinity,
      rebindingTime: Infinity,
    };
  }
  const defaults = {
    leaseTime: leaseSeconds,
    renewalTime: leaseSeconds * 0.5,
    rebindingTime: leaseSeconds * 0.875,
  };
  const t1 = optional(
    () => renewalTimeValue(options),
    undefined,
    "renewal time (option 58)",
    warnings,
  );
  const t2 = optional(
    () => rebindingTimeValue(options),
    undefined,
    "rebinding time (option 59)",
    warnings,
  );
  const renewalTime = t1 ?? defaults.renewalTime;
  const rebindingTime = t2 ?? defaults.rebindingTime;
  // T1 of 0 would renew at once after every DHCPACK carrying it again.
  if (
    renewalTime <= 0 || renewalTime >= rebindingTime ||
    rebindingTime >= leaseSeconds
  ) {
    warnings.push(
      `corrected inconsistent timers T1 ${renewalTime} s, T2 ` +
        `${rebindingTime} s for a lease of ${leaseSeconds} s to T1 ` +
        `${defaults.renewalTime} s, T2 ${defaults.rebindingTime} s`,
    );
    return defaults;
  }
  return { leaseTime: leaseSeconds, renewalTime, rebindingTime };
}

/**
 * Turns a DHCPACK into a lease, checking what a client must not accept.
 *
 * Rejected: a yiaddr that is not a unicast address, a yiaddr equal to its
 * subnet's network or broadcast address (for prefixes up to /30), a
 * non-contiguous or malformed subnet mask, a missing or malformed server
 * identifier, and a missing, malformed or zero lease time. Without a subnet
 * mask the classful prefix is used, as dhcpcd does. Malformed optional
 * options are dropped with a warning and inconsistent T1/T2 are replaced by
 * the RFC 2131 defaults with a warning; the lease stays usable.
 *
 * @param ack The DHCPACK.
 * @param context The interface and when the DHCPREQUEST was first sent.
 * @returns The lease and the warnings collected while reading it.
 * @throws {LeaseError} If the DHCPACK cannot be used.
 *
 * @example Accept a DHCPACK
 * ```ts ignore
 * const { lease, warnings } = leaseFromAck(ack, {
 *   interface: "eth0",
 *   acquiredAt: performance.now(),
 * });
 * ```
 */
export function leaseFromAck(
  ack: DhcpMessage,
  context: LeaseContext,
): LeaseResult {
  const iface = context.interface;
  const options = ack.options;
  const warnings: string[] = [];
  const address = ack.yiaddr;
  const problem = unicastProblem(address);
  if (problem !== null) {
    throw new LeaseError(
      iface,
      `DHCPACK on ${iface} offers ${address}, which is not a unicast ` +
        `address (${problem}); check the server's address pool`,
    );
  }
  const server = required(
    iface,
    () => serverIdentifier(options),
    "server identifier (option 54)",
  );
  if (server === undefined) {
    throw new LeaseError(
      iface,
      `DHCPACK on ${iface} for ${address} has no server identifier ` +
        `(option 54), which RFC 2131 requires`,
    );
  }
  const leaseSeconds = required(
    iface,
    () => ipAddressLeaseTime(options),
    "lease time (option 51)",
  );
  if (leaseSeconds === undefined || leaseSeconds === 0) {
    throw new LeaseError(
      iface,
      `DHCPACK on ${iface} for ${address} from ${server} has ` +
        (leaseSeconds === undefined ? "no lease time" : "a lease time of 0") +
        ` (option 51); the server must grant a positive lease time`,
    );
  }
  const mask = required(
    iface,
    () => subnetMask(options),
    "subnet mask (option 1)",
  );
  let prefix: number;
  if (mask === undefined) {
    prefix = classfulPrefix(address);
    warnings.push(
      `no subnet mask (option 1) for ${address}, using the classful ` +
        `prefix /${prefix}`,
    );
  } else {
    prefix = maskToPrefix(mask);
  }
  if (prefix === 0) {
    // A /0 would put every destination on the link and make every gateway
    // "on-link"; no server means that.
    throw new LeaseError(
      iface,
      `DHCPACK on ${iface} offers ${address} with subnet mask 0.0.0.0; ` +
        `check the server's subnet mask`,
    );
  }
  // /31 (RFC 3021) and /32 have no network or broadcast address to avoid.
  if (prefix <= 30) {
    const network = networkAddress(address, prefix);
    const broadcast = broadcastAddress(address, prefix);
    if (address === network || address === broadcast) {
      throw new LeaseError(
        iface,
        `DHCPACK on ${iface} offers ${address}/${prefix}, which is the ` +
          `${address === network ? "network" : "broadcast"} address of its ` +
          `subnet; check the server's address pool and subnet mask`,
      );
    }
  }
  const timers = settleTimers(options, leaseSeconds, warnings);
  const lease: Lease = {
    interface: iface,
    address,
    prefix,
    serverIdentifier: server,
    routers: usableGateways(
      optional(() => routers(options), [], "router (option 3)", warnings),
      address,
      "router (option 3)",
      warnings,
    ),
    domainNameServers: optional(
      () => domainNameServers(options),
      [],
      "domain name servers (option 6)",
      warnings,
    ),
    domainSearch: optional(
      () => domainSearch(options),
      [],
      "domain search list (option 119)",
      warnings,
    ),
    ...timers,
    acquiredAt: context.acquiredAt,
    options,
  };
  const name = optional(
    () => domainName(options),
    undefined,
    "domain name (option 15)",
    warnings,
  );
  if (name !== undefined) lease.domainName = name;
  const routes = optional(
    () => classlessStaticRoutes(options),
    undefined,
    "classless static routes (option 121)",
    warnings,
  );
  if (routes !== undefined) {
    lease.classlessStaticRoutes = routes.filter((route) =>
      // 0.0.0.0 is RFC 3442's on-link gateway, not an address to reach.
      route.gateway === "0.0.0.0" ||
      usableGateways(
          [route.gateway],
          address,
          `classless static route ${route.destination}/${route.prefix} ` +
            `(option 121)`,
          warnings,
        ).length === 1
    );
  }
  const mtu = optional(
    () => interfaceMtu(options),
    undefined,
    "interface MTU (option 26)",
    warnings,
  );
  if (mtu !== undefined) {
    if (mtu < MINIMUM_MTU) {
      warnings.push(
        `ignored interface MTU (option 26) ${mtu}, below the minimum of ` +
          `${MINIMUM_MTU}`,
      );
    } else {
      lease.interfaceMtu = mtu;
    }
  }
  const broadcast = optional(
    () => broadcastAddressOption(options),
    undefined,
    "broadcast address (option 28)",
    warnings,
  );
  if (broadcast !== undefined) lease.broadcastAddress = broadcast;
  const host = optional(
    () => hostName(options),
    undefined,
    "host name (option 12)",
    warnings,
  );
  if (host !== undefined) lease.hostName = host;
  return { lease, warnings };
}

/**
 * Returns when a lease expires.
 *
 * @param lease The lease.
 * @returns Monotonic milliseconds; Infinity for an infinite lease.
 *
 * @example Expiry of a one-hour lease
 * ```ts ignore
 * leaseExpiresAt(lease); // lease.acquiredAt + 3_600_000
 * ```
 */
export function leaseExpiresAt(lease: Lease): number {
  return lease.acquiredAt + lease.leaseTime * 1000;
}

function sameList<T>(
  a: readonly T[],
  b: readonly T[],
  same: (x: T, y: T) => boolean,
): boolean {
  return a.length === b.length && a.every((x, i) => same(x, b[i] as T));
}

function sameRoutes(
  a: readonly ClasslessRoute[] | undefined,
  b: readonly ClasslessRoute[] | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  return sameList(
    a,
    b,
    (x, y) =>
      x.destination === y.destination && x.prefix === y.prefix &&
      x.gateway === y.gateway,
  );
}

/**
 * Tells whether two leases configure the interface the same way, ignoring
 * timers and raw options: after a renewal, only a difference here needs the
 * interface, routes or resolver to be reconfigured.
 *
 * @param a One lease.
 * @param b The other lease.
 * @returns True when address, prefix, server, routers, DNS, domains,
 * routes, MTU, broadcast address and host name are equal.
 *
 * @example Compare a renewed lease
 * ```ts ignore
 * if (!sameConfiguration(old, renewed)) reconfigure(renewed);
 * ```
 */
export function sameConfiguration(a: Lease, b: Lease): boolean {
  const eq = (x: string, y: string): boolean => x === y;
  return a.interface === b.interface && a.address === b.address &&
    a.prefix === b.prefix && a.serverIdentifier === b.serverIdentifier &&
    sameList(a.routers, b.routers, eq) &&
    sameList(a.domainNameServers, b.domainNameServers, eq) &&
    a.domainName === b.domainName &&
    sameList(a.domainSearch, b.domainSearch, eq) &&
    sameRoutes(a.classlessStaticRoutes, b.classlessStaticRoutes) &&
    a.interfaceMtu === b.interfaceMtu &&
    a.broadcastAddress === b.broadcastAddress && a.hostName === b.hostName;
}
