/**
 * Watching interfaces for carrier changes, removal and renaming through the
 * process's shared `ip monitor` child, however many interfaces it serves.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { type SpawnChild, spawnChild } from "../process/line_child.ts";
import { IpMonitor, type Unsubscribe } from "./monitor.ts";
import {
  type LinkChange,
  type LinkEvent,
  LinkTable,
  type WatchedLink,
} from "./link_table.ts";

export type { LinkChange, LinkEvent, WatchedLink };

const logger = getLogger(["ocidhcp", "link"]);

// "3: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ..." or the same line
// prefixed with "Deleted "; the line after it ("    link/ether ...") and
// route events do not match.
const LINE = /^(Deleted )?(\d+): ([^:@\s]+)(?:@[^:\s]*)?: <([^>]*)>/;

/**
 * Parses one line of `ip monitor link` output (with or without `-o`).
 *
 * @param line The line.
 * @returns The event it reports, or undefined for other lines.
 */
export function parseLinkLine(line: string): LinkEvent | undefined {
  const match = LINE.exec(line.trim());
  if (match === null) return undefined;
  const flags = (match[4] ?? "").split(",");
  const deleted = match[1] !== undefined;
  return {
    name: match[3]!,
    index: Number(match[2]),
    usable: !deleted && flags.includes("UP") && flags.includes("LOWER_UP"),
    deleted,
  };
}

/**
 * Reports when watched interfaces lose or regain carrier, or disappear by
 * removal or renaming; see {@linkcode LinkTable} for what counts as a
 * change.
 */
export class LinkMonitor {
  #unsubscribe: Unsubscribe;
  #table: LinkTable;
  #onChange: (change: LinkChange) => void;

  /**
   * Starts watching.
   *
   * @param links The interfaces to report on, with their current state and
   * index.
   * @param onChange Called for each change of a watched interface.
   * @param source The process's shared monitor, or a function that starts
   * a child of its own.
   * @throws {CommandNotFoundError} If `ip` is not on PATH.
   */
  constructor(
    links: ReadonlyMap<string, WatchedLink>,
    onChange: (change: LinkChange) => void,
    source: IpMonitor | SpawnChild = spawnChild,
  ) {
    this.#table = new LinkTable(links);
    this.#onChange = onChange;
    const monitor = source instanceof IpMonitor
      ? source
      : new IpMonitor(source);
    this.#unsubscribe = monitor.subscribe((line) => {
      const event = parseLinkLine(line);
      if (event !== undefined) this.observe(event);
    });
  }

  /**
   * Takes in a reading made elsewhere, as the monitor's own events are:
   * the state the watch started from may have changed before `ip monitor`
   * listened, and a second reading then shows what it missed.
   *
   * @param event The link as read, or its absence (`deleted`).
   */
  observe(event: LinkEvent): void {
    for (const change of this.#table.update(event)) {
      logger.debug("{interface}: link {state}", {
        interface: change.name,
        state: change.renamedTo !== undefined
          ? `renamed to ${change.renamedTo}`
          : change.deleted
          ? "removed"
          : change.usable
          ? "up"
          : "down",
      });
      this.#onChange(change);
    }
  }

  /**
   * Stops watching; the child exits unless another subscriber uses it.
   *
   * @returns When the subscription has ended.
   */
  close(): Promise<void> {
    return this.#unsubscribe();
  }
}
