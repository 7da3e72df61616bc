/**
 * Lease records kept across restarts, so a client that starts again while
 * its lease is still valid can ask for the same address in INIT-REBOOT
 * (RFC 2131 section 3.2) instead of starting over in INIT.
 *
 * One JSON file per interface, `<dir>/<interface>.lease.json`, replaced
 * atomically on every save. The monotonic clock the client runs on restarts
 * with the machine, so records hold wall-clock times.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { ClasslessRoute } from "../dhcp/classless_routes.ts";
import type { Lease } from "../client/lease.ts";
import { DhcpOptions } from "../dhcp/options.ts";
import { checkInterfaceName } from "../route/interface_claim.ts";
import {
  domain,
  domainList,
  FieldError,
  finite,
  int,
  ipv4,
  ipv4List,
  type JsonObject,
  numberOrInfinite,
  optional,
  parseObject,
  positiveOrInfinite,
  str,
} from "./_fields.ts";
import { makeDirectory, removeFile, writeFileAtomic } from "./atomic_file.ts";

const logger = getLogger(["ocidhcp", "state"]);

/** Where lease records are kept unless another directory is given. */
export const LEASE_DIR = "/var/lib/ocidhcp";

/** The record format written by this version; others are ignored. */
export const LEASE_RECORD_VERSION = 1;

/** A lease as remembered across restarts, with wall-clock times. */
export interface StoredLease {
  /** The record format, {@linkcode LEASE_RECORD_VERSION}. */
  version: typeof LEASE_RECORD_VERSION;
  /** The interface the lease was obtained on. */
  interface: string;
  /** The leased address. */
  address: string;
  /** The prefix length. */
  prefix: number;
  /** The server that granted the lease. */
  serverIdentifier: string;
  /** Routers in order of preference. */
  routers: string[];
  /** DNS servers in order of preference. */
  domainNameServers: string[];
  /** The domain name (option 15). */
  domainName?: string;
  /** The domain search list. */
  domainSearch: string[];
  /** Classless static routes (option 121). */
  classlessStaticRoutes?: ClasslessRoute[];
  /** The interface MTU (option 26). */
  interfaceMtu?: number;
  /** The lease duration in seconds; Infinity for an infinite lease. */
  leaseTime: number;
  /** T1 in seconds from obtainedAt; Infinity if infinite. */
  renewalTime: number;
  /** T2 in seconds from obtainedAt; Infinity if infinite. */
  rebindingTime: number;
  /**
   * Wall-clock milliseconds since the epoch when the lease began (when its
   * DHCPREQUEST was first sent).
   */
  obtainedAt: number;
  /** Wall-clock milliseconds when it ends; Infinity if infinite. */
  expiresAt: number;
}

/** Both clocks read at one instant, to turn monotonic times into dates. */
export interface ClockReading {
  /** Wall-clock milliseconds since the epoch, as Date.now(). */
  wall: number;
  /** Monotonic milliseconds, as performance.now(). */
  monotonic: number;
}

/**
 * Tells whether a stored lease has ended.
 *
 * @param stored The record.
 * @param nowWall Wall-clock milliseconds, as Date.now().
 * @returns True once its expiry time has come.
 *
 * @example Check a record
 * ```ts ignore
 * if (!isStoredLeaseExpired(stored, Date.now())) reboot(stored.address);
 * ```
 */
export function isStoredLeaseExpired(
  stored: StoredLease,
  nowWall: number,
): boolean {
  return nowWall >= stored.expiresAt;
}

/**
 * Picks the address to confirm in INIT-REBOOT: the stored one while its
 * lease lasts, else none (start in INIT).
 *
 * Limitations: the wall clock may have been set back or forward since the
 * record was written; a lease that looks valid but is not earns a DHCPNAK,
 * after which the client starts over in INIT, as RFC 2131 intends.
 *
 * @param stored The record, if any.
 * @param nowWall Wall-clock milliseconds, as Date.now().
 * @returns The address for the state machine's "start" event, or undefined.
 *
 * @example Start a client
 * ```ts ignore
 * const previousAddress = rebootAddress(await store.load("eth0"), Date.now());
 * ```
 */
export function rebootAddress(
  stored: StoredLease | undefined,
  nowWall: number,
): string | undefined {
  if (stored === undefined || isStoredLeaseExpired(stored, nowWall)) {
    return undefined;
  }
  return stored.address;
}

/**
 * Builds the record of a lease.
 *
 * @param lease The lease, timed on the monotonic clock.
 * @param now Both clocks read at one instant.
 * @returns The record, timed on the wall clock.
 *
 * @example Record a lease
 * ```ts ignore
 * toStoredLease(lease, { wall: Date.now(), monotonic: performance.now() });
 * ```
 */
export function toStoredLease(lease: Lease, now: ClockReading): StoredLease {
  const obtainedAt = Math.round(now.wall - (now.monotonic - lease.acquiredAt));
  const stored: StoredLease = {
    version: LEASE_RECORD_VERSION,
    interface: lease.interface,
    address: lease.address,
    prefix: lease.prefix,
    serverIdentifier: lease.serverIdentifier,
    routers: [...lease.routers],
    domainNameServers: [...lease.domainNameServers],
    domainSearch: [...lease.domainSearch],
    leaseTime: lease.leaseTime,
    renewalTime: lease.renewalTime,
    rebindingTime: lease.rebindingTime,
    obtainedAt,
    expiresAt: obtainedAt + lease.leaseTime * 1000,
  };
  if (lease.domainName !== undefined) stored.domainName = lease.domainName;
  if (lease.classlessStaticRoutes !== undefined) {
    stored.classlessStaticRoutes = lease.classlessStaticRoutes.map((r) => ({
      ...r,
    }));
  }
  if (lease.interfaceMtu !== undefined) {
    stored.interfaceMtu = lease.interfaceMtu;
  }
  return stored;
}

/**
 * Rebuilds the lease a record describes, timed on the monotonic clock, so
 * that a restarted client knows what its earlier run installed: the
 * address, and the routes that follow from the routers and classless
 * static routes.
 *
 * Limitations: the record does not keep the broadcast address, the host
 * name or the raw options; the lease comes back without them.
 *
 * @param stored The record.
 * @param now Both clocks read at one instant.
 * @returns The lease.
 *
 * @example Rebuild a record's lease
 * ```ts ignore
 * fromStoredLease(stored, { wall: Date.now(), monotonic: performance.now() });
 * ```
 */
export function fromStoredLease(stored: StoredLease, now: ClockReading): Lease {
  const lease: Lease = {
    interface: stored.interface,
    address: stored.address,
    prefix: stored.prefix,
    serverIdentifier: stored.serverIdentifier,
    routers: [...stored.routers],
    domainNameServers: [...stored.domainNameServers],
    domainSearch: [...stored.domainSearch],
    leaseTime: stored.leaseTime,
    renewalTime: stored.renewalTime,
    rebindingTime: stored.rebindingTime,
    acquiredAt: now.monotonic - (now.wall - stored.obtainedAt),
    options: new DhcpOptions(),
  };
  if (stored.domainName !== undefined) lease.domainName = stored.domainName;
  if (stored.classlessStaticRoutes !== undefined) {
    lease.classlessStaticRoutes = stored.classlessStaticRoutes.map((r) => ({
      ...r,
    }));
  }
  if (stored.interfaceMtu !== undefined) {
    lease.interfaceMtu = stored.interfaceMtu;
  }
  return lease;
}

function routesOf(record: JsonObject, name: string): ClasslessRoute[] {
  const value = record[name];
  if (!Array.isArray(value)) {
    throw new FieldError(name, "a list of routes", value);
  }
  return value.map((item: unknown, index) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      throw new FieldError(`${name}[${index}]`, "a route object", item);
    }
    const route = item as JsonObject;
    return {
      destination: ipv4(route, "destination"),
      prefix: int(route, "prefix", 0, 32),
      gateway: ipv4(route, "gateway"),
    };
  });
}

/**
 * Checks a parsed record field by field.
 *
 * @throws {FieldError} On the first field that is wrong.
 */
function checkRecord(record: JsonObject, name: string): StoredLease {
  if (record.version !== LEASE_RECORD_VERSION) {
    throw new FieldError(
      "version",
      `${LEASE_RECORD_VERSION} (the format this version reads)`,
      record.version,
    );
  }
  if (str(record, "interface") !== name) {
    throw new FieldError("interface", `"${name}"`, record.interface);
  }
  const leaseTime = positiveOrInfinite(record, "leaseTime");
  const stored: StoredLease = {
    version: LEASE_RECORD_VERSION,
    interface: name,
    address: ipv4(record, "address"),
    prefix: int(record, "prefix", 0, 32),
    serverIdentifier: ipv4(record, "serverIdentifier"),
    routers: ipv4List(record, "routers"),
    domainNameServers: ipv4List(record, "domainNameServers"),
    domainSearch: domainList(record, "domainSearch"),
    leaseTime,
    renewalTime: positiveOrInfinite(record, "renewalTime"),
    rebindingTime: positiveOrInfinite(record, "rebindingTime"),
    obtainedAt: finite(record, "obtainedAt"),
    expiresAt: numberOrInfinite(record, "expiresAt"),
  };
  if ((leaseTime === Infinity) !== (stored.expiresAt === Infinity)) {
    throw new FieldError(
      "expiresAt",
      leaseTime === Infinity ? "null for an infinite lease" : "a number",
      record.expiresAt,
    );
  }
  const domainName = optional(record, "domainName", domain);
  if (domainName !== undefined) stored.domainName = domainName;
  const routes = optional(record, "classlessStaticRoutes", routesOf);
  if (routes !== undefined) stored.classlessStaticRoutes = routes;
  const mtu = optional(
    record,
    "interfaceMtu",
    (r, n) => int(r, n, 68, 65535),
  );
  if (mtu !== undefined) stored.interfaceMtu = mtu;
  return stored;
}

/**
 * Serialises a record; JSON has no Infinity, so infinite times are null.
 */
function serialise(stored: StoredLease): string {
  return JSON.stringify(
    stored,
    (_key, value) => value === Infinity ? null : value,
    2,
  ) + "\n";
}

/**
 * The lease records of one directory.
 *
 * @example Remember and recall a lease
 * ```ts ignore
 * const store = new LeaseStore();
 * await store.save(lease);
 * const stored = await store.load("eth0");
 * const previousAddress = rebootAddress(stored, Date.now());
 * ```
 */
export class LeaseStore {
  #dir: string;

  /**
   * Opens a directory of lease records; nothing is read or created yet.
   *
   * @param dir The directory, {@linkcode LEASE_DIR} by default.
   */
  constructor(dir: string = LEASE_DIR) {
    this.#dir = dir.replace(/\/+$/, "") || "/";
  }

  /** The directory of the records. */
  get dir(): string {
    return this.#dir;
  }

  /**
   * Names the record file of an interface.
   *
   * @param interfaceName The interface.
   * @returns `<dir>/<interface>.lease.json`.
   * @throws {TypeError} If the name cannot be an interface name.
   */
  path(interfaceName: string): string {
    return `${this.#dir}/${checkInterfaceName(interfaceName)}.lease.json`;
  }

  /**
   * Records a lease, replacing the interface's previous record atomically;
   * the directory is created if needed.
   *
   * @param lease The lease.
   * @param now Both clocks read at one instant; now by default.
   * @throws {StateError} If the directory cannot be written (EACCES,
   * EROFS, ENOSPC, ENOTDIR), with the path and errno name.
   * @throws {TypeError} If the lease's interface name is not valid.
   */
  async save(
    lease: Lease,
    now: ClockReading = { wall: Date.now(), monotonic: performance.now() },
  ): Promise<void> {
    const path = this.path(lease.interface);
    await makeDirectory(this.#dir, 0o755);
    await writeFileAtomic(path, serialise(toStoredLease(lease, now)), {
      mode: 0o644,
    });
  }

  /**
   * Reads an interface's record. A record that cannot be used (not JSON,
   * another format version, a field of the wrong type, another interface)
   * is ignored with a warning, as is a file that cannot be read: starting in
   * INIT is always safe.
   *
   * @param interfaceName The interface.
   * @returns The record, or undefined when there is none that can be used.
   * @throws {TypeError} If the name cannot be an interface name.
   */
  async load(interfaceName: string): Promise<StoredLease | undefined> {
    const path = this.path(interfaceName);
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      logger.warning(
        "{interface}: cannot read lease record {path}: {error}",
        { interface: interfaceName, path, error: String(error) },
      );
      return undefined;
    }
    try {
      return checkRecord(parseObject(text), interfaceName);
    } catch (error) {
      if (!(error instanceof FieldError || error instanceof SyntaxError)) {
        throw error;
      }
      logger.warning(
        "{interface}: ignored unusable lease record {path}: {problem}",
        { interface: interfaceName, path, problem: error.message },
      );
      return undefined;
    }
  }

  /**
   * Forgets an interface's lease, as after a DHCPRELEASE or DHCPNAK. A
   * missing record is not an error.
   *
   * @param interfaceName The interface.
   * @throws {StateError} If the record exists and cannot be removed.
   * @throws {TypeError} If the name cannot be an interface name.
   */
  async remove(interfaceName: string): Promise<void> {
    await removeFile(this.path(interfaceName));
  }
}
