/**
 * One process per interface: a process that manages an interface holds an
 * exclusive lock on `<runtime dir>/interfaces/<name>.lock` for as long as it
 * does. The kernel drops the lock when the process dies, which is also how
 * other processes tell that its default-route candidacy is stale.
 *
 * @module
 */

import { acquireLock, type FileLock } from "./lock.ts";

// Other processes test whether a claim is alive (`isLockHeld`) by taking
// the lock for an instant: flock has no way to ask without taking it, and
// fcntl locks, which could, do not see flock locks. A claim that meets such
// a probe tries again; a real holder keeps the lock for its whole life.
const CLAIM_ATTEMPTS = 3;
const CLAIM_RETRY_MS = 25;

/** Another process already manages the interface. */
export class InterfaceBusyError extends Error {
  /** The interface. */
  readonly interface: string;
  /** The process holding it, when it could be read. */
  readonly pid: number | undefined;

  /**
   * Creates the error.
   *
   * @param name The interface.
   * @param pid The process holding it, if known.
   */
  constructor(name: string, pid: number | undefined) {
    super(
      `Interface ${name} is already managed by ` +
        (pid === undefined ? "another process" : `process ${pid}`),
    );
    this.name = "InterfaceBusyError";
    this.interface = name;
    this.pid = pid;
  }
}

/**
 * Checks that a string can be an interface name and a file name: Linux
 * names are 1 to 15 bytes without "/", ":" or white space, and not "." or
 * "..".
 *
 * @param name The candidate name.
 * @returns The name.
 * @throws {TypeError} If it cannot be an interface name.
 */
export function checkInterfaceName(name: string): string {
  const bytes = new TextEncoder().encode(name).length;
  if (
    bytes === 0 || bytes > 15 || /[\s/:]/.test(name) || name === "." ||
    name === ".."
  ) {
    throw new TypeError(
      `Interface name must be 1 to 15 bytes without "/", ":" or spaces, ` +
        `got "${name}"`,
    );
  }
  return name;
}

/**
 * Names the lock file of an interface.
 *
 * @param runtimeDir The runtime directory.
 * @param name The interface.
 * @returns The lock file path.
 */
export function interfaceLockPath(runtimeDir: string, name: string): string {
  return `${runtimeDir}/interfaces/${checkInterfaceName(name)}.lock`;
}

/**
 * Claims an interface for this process, without waiting for a holder: a
 * lock found taken is tried twice more over 50 ms, which outlasts another
 * process's liveness probe but not a real claim.
 *
 * @param runtimeDir The runtime directory (with its `interfaces` folder).
 * @param name The interface.
 * @returns The held lock; release it when the interface is no longer managed.
 * @throws {InterfaceBusyError} If another process (or another claim in this
 * one) holds it, naming the holder's pid.
 * @throws {TypeError} If the name cannot be an interface name.
 *
 * @example Claim eth0
 * ```ts ignore
 * import { claimInterface } from "./interface_claim.ts";
 * const claim = await claimInterface("/run/ocidhcp/net-1", "eth0");
 * claim.release();
 * ```
 */
export async function claimInterface(
  runtimeDir: string,
  name: string,
): Promise<FileLock> {
  const path = interfaceLockPath(runtimeDir, name);
  let lock = await acquireLock(path, { wait: false });
  for (
    let attempt = 1;
    lock === undefined && attempt < CLAIM_ATTEMPTS;
    attempt++
  ) {
    await new Promise((resolve) => setTimeout(resolve, CLAIM_RETRY_MS));
    lock = await acquireLock(path, { wait: false });
  }
  if (lock === undefined) {
    let pid: number | undefined;
    try {
      const text = Deno.readTextFileSync(path).trim();
      if (/^\d+$/.test(text)) pid = Number(text);
    } catch {
      // The holder may not have written its pid yet.
    }
    throw new InterfaceBusyError(name, pid);
  }
  try {
    Deno.writeTextFileSync(path, `${Deno.pid}\n`);
  } catch (error) {
    lock.release();
    throw error;
  }
  return lock;
}
