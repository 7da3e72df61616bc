/**
 * Learning at once that another process has exited, through a pidfd in the
 * process's poll loop, so that a client need not ask every so often whether
 * the owner of the default route is still alive.
 *
 * @module
 */

import { errno, libc } from "../ffi/libc.ts";
import { type PollMember, pollReactor } from "../ffi/poll_reactor.ts";
import { inodeOf } from "./runtime_dir.ts";

const ESRCH = 3;

let ownNamespace: bigint | null | undefined;

/**
 * The inode of this process's PID namespace, which says whether a pid
 * another process wrote down means the same process here; null where it
 * cannot be read.
 *
 * @returns The inode, or null.
 */
export function pidNamespace(): bigint | null {
  if (ownNamespace === undefined) {
    try {
      ownNamespace = inodeOf("/proc/self/ns/pid");
    } catch {
      ownNamespace = null;
    }
  }
  return ownNamespace;
}

/**
 * Watches one process at a time and calls back once when it exits.
 *
 * Limitations: it needs pidfd_open (Linux 5.3, glibc 2.36) and a pid from
 * the same PID namespace; {@linkcode ProcessWatch.watch} says when it
 * cannot watch, so that the caller checks some other way.
 *
 * @example Learn of a process's exit
 * ```ts ignore
 * const watch = new ProcessWatch(() => console.log("gone"));
 * if (!watch.watch(pid)) console.log("cannot watch; poll instead");
 * await watch.close();
 * ```
 */
export class ProcessWatch {
  #onExit: () => void;
  #pid: number | undefined;
  #member: PollMember | undefined;

  /**
   * Creates a watch that watches nothing yet.
   *
   * @param onExit Called once for each watched process that exits (or was
   * already gone when watched).
   */
  constructor(onExit: () => void) {
    this.#onExit = onExit;
  }

  /** The pid watched, if any. */
  get pid(): number | undefined {
    return this.#pid;
  }

  /**
   * Watches a process instead of the one watched before.
   *
   * @param pid The process.
   * @returns False when this system cannot watch processes so (no
   * pidfd_open, or the call failed otherwise than for a process already
   * gone); the caller must then check by other means.
   */
  watch(pid: number): boolean {
    if (pid === this.#pid && this.#member !== undefined) return true;
    void this.unwatch();
    const open = libc().pidfd_open;
    if (open === null) return false;
    const fd = open(pid, 0);
    if (fd < 0) {
      if (errno() !== ESRCH) return false;
      // Gone before it could be watched: as good as an exit seen now.
      queueMicrotask(this.#onExit);
      return true;
    }
    const exited = () => {
      if (this.#member !== member) return;
      this.#member = undefined;
      this.#pid = undefined;
      void pollReactor.remove(member);
      this.#onExit();
    };
    const member: PollMember = {
      fd,
      onReadable: exited,
      onInvalid: exited,
    };
    this.#member = member;
    this.#pid = pid;
    pollReactor.add(member);
    return true;
  }

  /**
   * Stops watching; the process's exit is no longer reported.
   *
   * @returns When the pidfd is closed.
   */
  unwatch(): Promise<void> {
    const member = this.#member;
    this.#member = undefined;
    this.#pid = undefined;
    if (member === undefined) return Promise.resolve();
    return pollReactor.remove(member);
  }

  /**
   * Stops watching, for good.
   *
   * @returns When the pidfd is closed.
   */
  close(): Promise<void> {
    return this.unwatch();
  }
}
