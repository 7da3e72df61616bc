/**
 * Watching interfaces for carrier changes and removal with one long-running
 * `ip -o monitor link` per process, however many interfaces it serves.
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

/** A change of one interface's usable state. */
export interface LinkChange {
  /** The interface name. */
  name: string;
  /** The kernel's interface index. */
  index: number;
  /** Up and with carrier (both UP and LOWER_UP). */
  usable: boolean;
  /** The interface was removed. */
  deleted: boolean;
}

// "3: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ..." or the same line
// prefixed with "Deleted ".
const LINE = /^(Deleted )?(\d+): ([^:@\s]+)(?:@[^:\s]*)?: <([^>]*)>/;

/**
 * Parses one line of `ip -o monitor link`.
 *
 * @param line The line.
 * @returns The change it reports, or undefined for other lines.
 */
export function parseLinkLine(line: string): LinkChange | undefined {
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
 * Reports when watched interfaces lose or regain carrier, or disappear.
 * Repeated reports of an unchanged state are suppressed, since the kernel
 * announces every flag change.
 */
export class LinkMonitor {
  #child: LineChild;
  #usable: Map<string, boolean>;

  /**
   * Starts watching.
   *
   * @param names The interfaces to report on, with their current state.
   * @param onChange Called for each change of a watched interface.
   * @param spawn Starts the `ip` child.
   * @throws {CommandNotFoundError} If `ip` is not on PATH.
   */
  constructor(
    names: ReadonlyMap<string, boolean>,
    onChange: (change: LinkChange) => void,
    spawn: SpawnChild = spawnChild,
  ) {
    this.#usable = new Map(names);
    this.#child = new LineChild(
      ["ip", "-o", "monitor", "link"],
      (line) => this.#handle(line, onChange),
      spawn,
    );
  }

  #handle(line: string, onChange: (change: LinkChange) => void): void {
    const change = parseLinkLine(line);
    if (change === undefined) return;
    const before = this.#usable.get(change.name);
    if (before === undefined) return;
    if (before === change.usable && !change.deleted) return;
    this.#usable.set(change.name, change.usable);
    logger.debug("{interface}: link {state}", {
      interface: change.name,
      state: change.deleted ? "removed" : change.usable ? "up" : "down",
    });
    onChange(change);
  }

  /**
   * Stops watching and reaps the child.
   *
   * @returns When the child has exited.
   */
  close(): Promise<void> {
    return this.#child.stop();
  }
}
