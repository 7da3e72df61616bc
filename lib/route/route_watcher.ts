/**
 * Watching the kernel for the events that can take the default route away
 * without its owner saying so, through one long-running `ip monitor` child.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { LineChild, type SpawnChild } from "../process/line_child.ts";

export { type SpawnChild, spawnChild } from "../process/line_child.ts";

const logger = getLogger(["ocidhcp", "route"]);

/** The `ip` arguments of the watcher: IPv4 route and link events. */
export const MONITOR_ARGV: readonly string[] = [
  "ip",
  "-4",
  "monitor",
  "route",
  "link",
];

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
 * One `ip monitor` child calling back on every ownership event.
 *
 * Limitations: events between `start()` and the child's subscription to
 * netlink are not seen.
 */
export class RouteWatcher {
  #spawn: SpawnChild;
  #onEvent: () => void;
  #child: LineChild | undefined;

  /**
   * Creates a stopped watcher.
   *
   * @param spawn Starts the child; inject one that enters a namespace.
   * @param onEvent Called for each line of output holding an ownership
   * event.
   */
  constructor(spawn: SpawnChild, onEvent: () => void) {
    this.#spawn = spawn;
    this.#onEvent = onEvent;
  }

  /**
   * Starts the child unless it runs. A failure to start is logged, not
   * thrown: elections still run on offers, withdrawals and stale checks.
   */
  start(): void {
    if (this.#child !== undefined) return;
    try {
      this.#child = new LineChild(MONITOR_ARGV, (line) => {
        if (isOwnershipEvent(line)) this.#onEvent();
      }, this.#spawn);
    } catch (error) {
      logger.warn("cannot watch routes: {error}", { error });
    }
  }

  /**
   * Stops the child and waits for it to exit.
   *
   * @returns When the child has exited and its output is closed.
   */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    await child?.stop();
  }
}
