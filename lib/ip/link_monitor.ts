/**
 * Watching interfaces for carrier changes and removal through the process's
 * shared `ip monitor` child, however many interfaces it serves.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { type SpawnChild, spawnChild } from "../process/line_child.ts";
import { IpMonitor, type Unsubscribe } from "./monitor.ts";

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
// prefixed with "Deleted "; the line after it ("    link/ether ...") and
// route events do not match.
const LINE = /^(Deleted )?(\d+): ([^:@\s]+)(?:@[^:\s]*)?: <([^>]*)>/;

/**
 * Parses one line of `ip monitor link` output (with or without `-o`).
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
  #unsubscribe: Unsubscribe;
  #usable: Map<string, boolean>;

  /**
   * Starts watching.
   *
   * @param names The interfaces to report on, with their current state.
   * @param onChange Called for each change of a watched interface.
   * @param source The process's shared monitor, or a function that starts
   * a child of its own.
   * @throws {CommandNotFoundError} If `ip` is not on PATH.
   */
  constructor(
    names: ReadonlyMap<string, boolean>,
    onChange: (change: LinkChange) => void,
    source: IpMonitor | SpawnChild = spawnChild,
  ) {
    this.#usable = new Map(names);
    const monitor = source instanceof IpMonitor
      ? source
      : new IpMonitor(source);
    this.#unsubscribe = monitor.subscribe((line) =>
      this.#handle(line, onChange)
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
   * Stops watching; the child exits unless another subscriber uses it.
   *
   * @returns When the subscription has ended.
   */
  close(): Promise<void> {
    return this.#unsubscribe();
  }
}
