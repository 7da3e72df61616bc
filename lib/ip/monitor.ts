/**
 * One `ip -4 monitor route link` child shared by everything in a process
 * that follows the kernel's route and link events: the default-route
 * arbiter and the carrier watch. Each child costs a spawn on the way to
 * "configured" and 2 to 3 MB of memory for as long as the client runs.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import {
  LineChild,
  type SpawnChild,
  spawnChild,
} from "../process/line_child.ts";

const logger = getLogger(["ocidhcp", "link"]);

/**
 * The `ip` arguments of the shared child: IPv4 route events and link
 * events (`-4` filters routes, not links). Link events span two lines, the
 * first of which names the interface and its flags.
 */
export const MONITOR_ARGV: readonly string[] = [
  "ip",
  "-4",
  "monitor",
  "route",
  "link",
];

/** Ends a subscription; the child stops after the last one ends. */
export type Unsubscribe = () => Promise<void>;

/**
 * Hands every line of one `ip monitor` child to each subscriber. The child
 * runs while there is at least one subscriber.
 *
 * Limitations: events between the first subscription and the child's
 * subscription to netlink are not seen; a subscriber that needs the state
 * at that moment must list it after subscribing.
 *
 * @example Follow link and route events
 * ```ts ignore
 * const monitor = new IpMonitor();
 * const stop = monitor.subscribe((line) => console.log(line));
 * await stop();
 * ```
 */
export class IpMonitor {
  #spawn: SpawnChild;
  #listeners = new Set<(line: string) => void>();
  #child: LineChild | undefined;

  /**
   * Creates a monitor; nothing runs until the first subscription.
   *
   * @param spawn Starts the child; inject one that enters a namespace.
   */
  constructor(spawn: SpawnChild = spawnChild) {
    this.#spawn = spawn;
  }

  /**
   * Adds a subscriber, starting the child if none runs.
   *
   * @param onLine Called with each line of output, without its line break.
   * @returns A function that ends this subscription.
   * @throws {CommandNotFoundError} If `ip` is not on PATH.
   */
  subscribe(onLine: (line: string) => void): Unsubscribe {
    const listener = (line: string) => onLine(line);
    this.#listeners.add(listener);
    if (this.#child === undefined) {
      try {
        this.#child = new LineChild(
          MONITOR_ARGV,
          (line) => this.#dispatch(line),
          this.#spawn,
        );
      } catch (error) {
        this.#listeners.delete(listener);
        throw error;
      }
    }
    let ended = false;
    return async () => {
      if (ended) return;
      ended = true;
      this.#listeners.delete(listener);
      if (this.#listeners.size > 0) return;
      const child = this.#child;
      this.#child = undefined;
      await child?.stop();
    };
  }

  #dispatch(line: string): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(line);
      } catch (error) {
        // One subscriber's failure must not blind the others.
        logger.error("ip monitor subscriber failed: {error}", { error });
      }
    }
  }
}
