/**
 * Watching the kernel for the events that can take the default route away
 * without its owner saying so, through one long-running `ip monitor` child.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { SpawnChild } from "../process/line_child.ts";
import { IpMonitor, type Unsubscribe } from "../ip/monitor.ts";

export { type SpawnChild, spawnChild } from "../process/line_child.ts";

const logger = getLogger(["ocidhcp", "route"]);

/**
 * Tells whether a line of `ip -4 monitor route link` may change who owns
 * the default route: a link event (the kernel drops the IPv4 routes of a
 * downed link without any route notification) or a default route added,
 * replaced or deleted.
 *
 * @param line One line of monitor output.
 * @returns True when an election should run.
 *
 * @example A link going down
 * ```ts
 * import { isOwnershipEvent } from "./route_watcher.ts";
 * isOwnershipEvent("3: eth0@if2: <BROADCAST,MULTICAST> mtu 1500"); // true
 * isOwnershipEvent("Deleted default via 198.18.0.1 dev eth0"); // true
 * isOwnershipEvent("192.0.2.0/24 dev eth0 scope link"); // false
 * ```
 */
export function isOwnershipEvent(line: string): boolean {
  return /^(Deleted )?(default|0\.0\.0\.0\/0)\b/.test(line) ||
    /^(Deleted )?\d+: \S+: </.test(line);
}

/**
 * Calls back on every ownership event seen by an {@linkcode IpMonitor}.
 *
 * Limitations: events between `start()` and the child's subscription to
 * netlink are not seen.
 */
export class RouteWatcher {
  #monitor: IpMonitor;
  #onEvent: () => void;
  #unsubscribe: Unsubscribe | undefined;

  /**
   * Creates a stopped watcher.
   *
   * @param source The monitor to follow, shared with other watchers, or a
   * function that starts a child of its own (one that enters a namespace
   * in tests).
   * @param onEvent Called for each line of output holding an ownership
   * event.
   */
  constructor(source: IpMonitor | SpawnChild, onEvent: () => void) {
    this.#monitor = source instanceof IpMonitor
      ? source
      : new IpMonitor(source);
    this.#onEvent = onEvent;
  }

  /**
   * Starts watching unless it already does. A failure to start the child is
   * logged, not thrown: elections still run on offers, withdrawals and
   * stale checks.
   */
  start(): void {
    if (this.#unsubscribe !== undefined) return;
    try {
      this.#unsubscribe = this.#monitor.subscribe((line) => {
        if (isOwnershipEvent(line)) this.#onEvent();
      });
    } catch (error) {
      logger.warn("cannot watch routes: {error}", { error });
    }
  }

  /**
   * Stops watching; the child exits unless another subscriber uses it.
   *
   * @returns When this watcher's subscription has ended.
   */
  async stop(): Promise<void> {
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    await unsubscribe?.();
  }
}
