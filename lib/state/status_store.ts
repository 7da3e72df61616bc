/**
 * The live status of each managed interface, for `ocidhcp status` and for
 * `ocidhcp renew`/`release` to find the process to signal.
 *
 * Each process writes `<runtime dir>/status/<interface>.json` after every
 * change, replacing it atomically. A snapshot outlives a process that was
 * killed, so readers compare it with the interface lock: the kernel drops
 * the lock when its holder dies.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { ClientState } from "../client/state_machine.ts";
import type { Lease } from "../client/lease.ts";
import { isLockHeld } from "../route/lock.ts";
import {
  checkInterfaceName,
  interfaceLockPath,
} from "../route/interface_claim.ts";
import {
  bool,
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
import type { ClockReading } from "./lease_store.ts";
import { errorText } from "../log/error_text.ts";

const logger = getLogger(["ocidhcp", "state"]);

/** What one process reports about one interface. Times are wall-clock ms. */
export interface ClientSnapshot {
  /** The interface. */
  interface: string;
  /** The process managing it. */
  pid: number;
  /** The RFC 2131 state name, such as "BOUND". */
  state: string;
  /** The leased address. */
  address?: string;
  /** Its prefix length. */
  prefix?: number;
  /** The server that granted the lease. */
  serverIdentifier?: string;
  /** Routers of the lease. */
  routers?: string[];
  /** DNS servers of the lease. */
  domainNameServers?: string[];
  /** The lease duration in seconds; Infinity for an infinite lease. */
  leaseTime?: number;
  /** When the lease began. */
  obtainedAt?: number;
  /** When the client starts RENEWING (T1); Infinity if never. */
  renewAt?: number;
  /** When the client starts REBINDING (T2); Infinity if never. */
  rebindAt?: number;
  /** When the lease ends; Infinity if never. */
  expiresAt?: number;
  /** When the client acts next (a retransmission or a timer). */
  nextEventAt?: number;
  /** Whether the default route of the namespace is this interface's. */
  defaultRouteOwner?: boolean;
  /** When the snapshot was taken. */
  updatedAt: number;
}

/** A snapshot as read back, with whether its process still runs. */
export interface InterfaceStatus extends ClientSnapshot {
  /**
   * True when no process holds the interface's lock, or another process
   * than the snapshot's does: the snapshot describes a process that is gone.
   */
  stale: boolean;
}

/** What {@linkcode snapshotOf} needs. */
export interface SnapshotInput {
  /** The interface. */
  interface: string;
  /** The state machine's state. */
  state: ClientState;
  /** The current lease, if any. */
  lease?: Lease | undefined;
  /** Monotonic milliseconds of the client's next deadline, if any. */
  deadline?: number | undefined;
  /** Whether this interface owns the default route. */
  defaultRouteOwner?: boolean | undefined;
  /** The process; Deno.pid by default. */
  pid?: number;
}

/**
 * Builds a snapshot from a client's state, turning its monotonic times into
 * wall-clock times.
 *
 * @param input The interface, state, lease and next deadline.
 * @param now Both clocks read at one instant; now by default.
 * @returns The snapshot.
 *
 * @example Snapshot a client
 * ```ts ignore
 * const snapshot = snapshotOf({
 *   interface: client.interface,
 *   state: client.state,
 *   lease: client.lease,
 *   deadline: client.deadline,
 * });
 * ```
 */
export function snapshotOf(
  input: SnapshotInput,
  now: ClockReading = { wall: Date.now(), monotonic: performance.now() },
): ClientSnapshot {
  const wall = (monotonic: number): number =>
    Math.round(now.wall + (monotonic - now.monotonic));
  const snapshot: ClientSnapshot = {
    interface: input.interface,
    pid: input.pid ?? Deno.pid,
    state: input.state,
    updatedAt: now.wall,
  };
  const lease = input.lease;
  if (lease !== undefined) {
    const obtainedAt = wall(lease.acquiredAt);
    snapshot.address = lease.address;
    snapshot.prefix = lease.prefix;
    snapshot.serverIdentifier = lease.serverIdentifier;
    snapshot.routers = [...lease.routers];
    snapshot.domainNameServers = [...lease.domainNameServers];
    snapshot.leaseTime = lease.leaseTime;
    snapshot.obtainedAt = obtainedAt;
    snapshot.renewAt = obtainedAt + lease.renewalTime * 1000;
    snapshot.rebindAt = obtainedAt + lease.rebindingTime * 1000;
    snapshot.expiresAt = obtainedAt + lease.leaseTime * 1000;
  }
  if (input.deadline !== undefined && Number.isFinite(input.deadline)) {
    snapshot.nextEventAt = wall(input.deadline);
  }
  if (input.defaultRouteOwner !== undefined) {
    snapshot.defaultRouteOwner = input.defaultRouteOwner;
  }
  return snapshot;
}

/**
 * Names the status file of an interface.
 *
 * @param runtimeDir The runtime directory.
 * @param name The interface.
 * @returns `<runtimeDir>/status/<name>.json`.
 * @throws {TypeError} If the name cannot be an interface name.
 */
export function statusPath(runtimeDir: string, name: string): string {
  return `${runtimeDir}/status/${checkInterfaceName(name)}.json`;
}

/**
 * Publishes a snapshot, replacing the interface's previous one atomically.
 *
 * @param runtimeDir The runtime directory; its `status` folder is created.
 * @param snapshot The snapshot.
 * @throws {StateError} If the directory cannot be written.
 * @throws {TypeError} If the interface name is not valid.
 *
 * @example Publish after a change
 * ```ts ignore
 * await writeStatus(runtimeDir(), snapshotOf({ interface: "eth0", state }));
 * ```
 */
export async function writeStatus(
  runtimeDir: string,
  snapshot: ClientSnapshot,
): Promise<void> {
  const path = statusPath(runtimeDir, snapshot.interface);
  await makeDirectory(`${runtimeDir}/status`, 0o700);
  const text = JSON.stringify(
    snapshot,
    (_key, value) => value === Infinity ? null : value,
  ) + "\n";
  await writeFileAtomic(path, text, { mode: 0o600 });
}

/**
 * Withdraws an interface's snapshot, as when a process stops managing it.
 * A missing snapshot is not an error.
 *
 * @param runtimeDir The runtime directory.
 * @param name The interface.
 * @throws {StateError} If it exists and cannot be removed.
 * @throws {TypeError} If the name cannot be an interface name.
 */
export async function removeStatus(
  runtimeDir: string,
  name: string,
): Promise<void> {
  await removeFile(statusPath(runtimeDir, name));
}

function checkSnapshot(record: JsonObject, name: string): ClientSnapshot {
  const snapshot: ClientSnapshot = {
    interface: str(record, "interface"),
    pid: int(record, "pid", 1, 2 ** 31 - 1),
    state: str(record, "state"),
    updatedAt: finite(record, "updatedAt"),
  };
  if (snapshot.interface !== name) {
    throw new Error(`it names interface "${snapshot.interface}"`);
  }
  const fields: Array<
    [keyof ClientSnapshot, (record: JsonObject, name: string) => unknown]
  > = [
    ["address", ipv4],
    ["prefix", (r, n) => int(r, n, 0, 32)],
    ["serverIdentifier", ipv4],
    ["routers", ipv4List],
    ["domainNameServers", ipv4List],
    ["leaseTime", positiveOrInfinite],
    ["obtainedAt", finite],
    ["renewAt", numberOrInfinite],
    ["rebindAt", numberOrInfinite],
    ["expiresAt", numberOrInfinite],
    ["nextEventAt", finite],
    ["defaultRouteOwner", bool],
  ];
  const target = snapshot as unknown as Record<string, unknown>;
  for (const [field, read] of fields) {
    const value = optional(record, field, read);
    if (value !== undefined) target[field] = value;
  }
  return snapshot;
}

/**
 * Tells whether a snapshot's process still manages its interface: the
 * interface lock must be held, and by that process when the lock file
 * names its holder.
 */
async function isLive(
  runtimeDir: string,
  snapshot: ClientSnapshot,
): Promise<boolean> {
  const lockPath = interfaceLockPath(runtimeDir, snapshot.interface);
  if (!await isLockHeld(lockPath)) return false;
  try {
    const holder = (await Deno.readTextFile(lockPath)).trim();
    return !/^\d+$/.test(holder) || Number(holder) === snapshot.pid;
  } catch {
    return true;
  }
}

/**
 * Reads one interface's snapshot.
 *
 * @param runtimeDir The runtime directory.
 * @param name The interface.
 * @returns The snapshot with its staleness, or undefined when there is none
 * that can be read.
 * @throws {TypeError} If the name cannot be an interface name.
 * @throws {SystemCallError} If the interface lock exists but cannot be
 * opened.
 */
export async function readStatus(
  runtimeDir: string,
  name: string,
): Promise<InterfaceStatus | undefined> {
  const path = statusPath(runtimeDir, name);
  let snapshot: ClientSnapshot;
  try {
    snapshot = checkSnapshot(parseObject(await Deno.readTextFile(path)), name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    logger.warning("{interface}: ignored unusable status {path}: {problem}", {
      interface: name,
      path,
      problem: errorText(error),
    });
    return undefined;
  }
  return { ...snapshot, stale: !await isLive(runtimeDir, snapshot) };
}

/**
 * Reads every interface's snapshot in a runtime directory, sorted by
 * interface name; unreadable snapshots are skipped with a warning.
 *
 * @param runtimeDir The runtime directory.
 * @returns The snapshots with their staleness; none when the directory does
 * not exist.
 * @throws {Deno.errors.PermissionDenied} If the status folder cannot be
 * listed.
 * @throws {SystemCallError} If an interface lock exists but cannot be
 * opened.
 *
 * @example List the interfaces
 * ```ts ignore
 * for (const status of await readStatuses(runtimeDir())) {
 *   console.log(status.interface, status.state, status.stale);
 * }
 * ```
 */
export async function readStatuses(
  runtimeDir: string,
): Promise<InterfaceStatus[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${runtimeDir}/status`)) {
      const match = /^([^.].*)\.json$/.exec(entry.name);
      if (entry.isFile && match?.[1] !== undefined) names.push(match[1]);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  names.sort();
  const statuses: InterfaceStatus[] = [];
  for (const name of names) {
    let status: InterfaceStatus | undefined;
    try {
      status = await readStatus(runtimeDir, name);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      continue; // A file whose name is no interface name is not ours.
    }
    if (status !== undefined) statuses.push(status);
  }
  return statuses;
}
