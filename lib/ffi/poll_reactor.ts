/**
 * The one poll loop a process runs for all its packet sockets, and for the
 * pidfd of another client's process whose death it must notice.
 *
 * A single `poll` over every member fd plus an eventfd runs on Deno's
 * blocking thread pool (`nonblocking: true`), so waiting neither blocks the
 * event loop nor uses CPU, and 64 sockets cost one waiting thread, not 64.
 * Opening or closing a member writes to the eventfd, so the pending poll
 * returns and is re-armed over the new set.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { errno, libc, SystemCallError } from "./libc.ts";

const logger = getLogger(["ocidhcp", "transport"]);

const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
const POLLIN = 0x1;
const POLLNVAL = 0x20;
/** struct pollfd: i32 fd, i16 events, i16 revents. */
const POLLFD_SIZE = 8;

/** What the reactor needs from a member. */
export interface PollMember {
  /** The file descriptor to watch; the reactor closes it on removal. */
  readonly fd: number;
  /** Called after poll reports the fd readable or in error. */
  onReadable(): void;
  /**
   * Called when poll reports the fd invalid (closed behind the reactor's
   * back); the reactor has already dropped it so poll does not spin.
   */
  onInvalid(): void;
}

// close(2) on the blocking thread pool. Its result is not checked: the fd
// was ours and open, and a close that fails still frees the number.
async function closeOffLoop(fd: number): Promise<void> {
  await libc().close_wait(fd);
}

/**
 * The process-wide poll loop. It runs only while at least one socket is a
 * member, so an idle process has no pending foreign call keeping it alive.
 */
export class PollReactor {
  #members = new Map<number, PollMember>();
  /** fds removed while a poll may still be watching them, with waiters. */
  #closing: { fd: number; done: () => void }[] = [];
  #eventFd = -1;
  #running = false;

  /**
   * Adds a member, starting the loop or waking it to watch the new fd.
   *
   * @param member The fd and its callbacks.
   * @throws {SystemCallError} If the loop's eventfd cannot be created.
   */
  add(member: PollMember): void {
    this.#members.set(member.fd, member);
    if (this.#running) {
      this.#wake();
      return;
    }
    try {
      this.#start();
    } catch (error) {
      this.#members.delete(member.fd);
      throw error;
    }
  }

  /**
   * Removes a member and closes its fd once no poll can be watching it:
   * closing an fd does not wake a poll on another thread, and the number
   * would be reused at once by the next socket or file.
   *
   * @param member A member previously added.
   * @returns When the fd is closed.
   */
  remove(member: PollMember): Promise<void> {
    this.#members.delete(member.fd);
    if (!this.#running) return closeOffLoop(member.fd);
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#closing.push({ fd: member.fd, done: resolve });
    this.#wake();
    return promise;
  }

  #start(): void {
    const fd = libc().eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
      throw new SystemCallError("eventfd() for the packet reactor", errno());
    }
    this.#eventFd = fd;
    this.#running = true;
    this.#loop().catch((error: unknown) => {
      logger.error("packet reactor failed: {error}", { error });
    });
  }

  #wake(): void {
    const one = new Uint8Array(8);
    one[0] = 1;
    // An eventfd counter only overflows after 2^64 - 2 writes; a failed
    // write means the reader is already due to wake, so it is ignored.
    libc().write(this.#eventFd, one, 8n);
  }

  async #loop(): Promise<void> {
    const counter = new Uint8Array(8);
    while (true) {
      const fds = [this.#eventFd, ...this.#members.keys()];
      const pollfds = new Uint8Array(fds.length * POLLFD_SIZE);
      const view = new DataView(pollfds.buffer);
      fds.forEach((fd, index) => {
        view.setInt32(index * POLLFD_SIZE, fd, true);
        view.setInt16(index * POLLFD_SIZE + 4, POLLIN, true);
      });
      // errno from the pool thread is lost; -1 (EINTR in practice) just
      // means poll again.
      const ready = await libc().poll(pollfds, BigInt(fds.length), -1);
      if (ready > 0) {
        libc().read(this.#eventFd, counter, 8n);
        fds.forEach((fd, index) => {
          if (index === 0) return;
          const revents = view.getInt16(index * POLLFD_SIZE + 6, true);
          if (revents === 0) return;
          // A member removed during the poll is skipped: its fd is still
          // open (closed below), so the number cannot belong to another.
          const member = this.#members.get(fd);
          if (member === undefined) return;
          try {
            if (revents & POLLNVAL) {
              this.#members.delete(fd);
              member.onInvalid();
            } else {
              member.onReadable();
            }
          } catch (error) {
            // One socket's failure must not stop the loop for the others.
            logger.error("packet reactor: fd {fd} failed: {error}", {
              fd,
              error,
            });
          }
        });
      }
      // The fds leave the poll set above before they are closed, so their
      // numbers cannot be reused while a poll still watches them.
      for (const { fd, done } of this.#closing.splice(0)) {
        void closeOffLoop(fd).then(done);
      }
      if (this.#members.size === 0) {
        libc().close(this.#eventFd);
        this.#eventFd = -1;
        this.#running = false;
        return;
      }
    }
  }
}

/** The reactor shared by every packet socket and process watch. */
export const pollReactor: PollReactor = new PollReactor();
