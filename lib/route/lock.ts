/**
 * Advisory file locks (flock) that the kernel drops when their process dies,
 * so a crashed client never leaves a lock behind.
 *
 * flock locks belong to an open file description: two `open()` calls of one
 * process conflict with each other just as two processes do. Callers in one
 * process are additionally queued in memory, so a waiting caller does not
 * hold a blocking thread for each turn.
 *
 * @module
 */

import { cString, errno, libc, SystemCallError } from "../ffi/libc.ts";

const O_RDWR = 0o2;
const O_CREAT = 0o100;
const O_CLOEXEC = 0o2000000;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const EWOULDBLOCK = 11;

/** A held lock; release it exactly once. */
export interface FileLock {
  /** The locked file. */
  readonly path: string;
  /** Unlocks and closes the file. Calling it again does nothing. */
  release(): void;
}

// Paths locked by this process, with the callers waiting for them.
const holders = new Map<string, Array<() => void>>();

function handOver(path: string): void {
  const waiters = holders.get(path);
  const next = waiters?.shift();
  if (next) next();
  else holders.delete(path);
}

/**
 * Takes an exclusive lock on a file, creating it if needed.
 *
 * @param path The lock file.
 * @param options `wait: false` returns undefined at once when the lock is
 * held (by this or another process); `wait: true` waits without blocking the
 * event loop.
 * @returns The lock, or undefined when not waiting and it is held.
 * @throws {SystemCallError} If the file cannot be opened or locked.
 *
 * @example Try a lock
 * ```ts ignore
 * import { acquireLock } from "./lock.ts";
 * const lock = await acquireLock("/run/ocidhcp/x.lock", { wait: false });
 * lock?.release();
 * ```
 */
export async function acquireLock(
  path: string,
  options: { wait: boolean },
): Promise<FileLock | undefined> {
  if (holders.has(path)) {
    if (!options.wait) return undefined;
    await new Promise<void>((resolve) => holders.get(path)?.push(resolve));
  } else {
    holders.set(path, []);
  }
  let fd = -1;
  try {
    fd = libc().open(cString(path), O_RDWR | O_CREAT | O_CLOEXEC, 0o600);
    if (fd < 0) throw new SystemCallError(`open(${path})`, errno());
    if (libc().flock(fd, LOCK_EX | LOCK_NB) !== 0) {
      const code = errno();
      if (code !== EWOULDBLOCK) {
        throw new SystemCallError(`flock(${path})`, code);
      }
      if (!options.wait) {
        libc().close(fd);
        handOver(path);
        return undefined;
      }
      // Runs on a blocking thread; errno from there is lost, so a failure
      // is reported without it.
      if (await libc().flock_wait(fd, LOCK_EX) !== 0) {
        throw new SystemCallError(`flock(${path}, LOCK_EX)`, 0);
      }
    }
  } catch (error) {
    if (fd >= 0) libc().close(fd);
    handOver(path);
    throw error;
  }
  let held = true;
  return {
    path,
    release(): void {
      if (!held) return;
      held = false;
      libc().flock(fd, LOCK_UN);
      libc().close(fd);
      handOver(path);
    },
  };
}

/**
 * Tells whether some process, this one included, holds the lock on a file.
 * A missing file is not held.
 *
 * Limitations: flock cannot be queried, so the test takes the lock and
 * drops it at once; a no-wait attempt elsewhere at that instant fails.
 * Callers of such attempts that must not fail spuriously try again.
 *
 * @param path The lock file.
 * @returns True when a no-wait lock attempt would fail.
 * @throws {SystemCallError} If the file exists but cannot be opened.
 */
export async function isLockHeld(path: string): Promise<boolean> {
  try {
    Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  const lock = await acquireLock(path, { wait: false });
  lock?.release();
  return lock === undefined;
}
