/**
 * What the link events of `ip monitor` mean for the interfaces a process
 * manages by name, kept apart from the child that produces them so the
 * decisions can be tested on captured lines.
 *
 * @module
 */

/** A change of one managed interface. */
export interface LinkChange {
  /** The managed interface name. */
  name: string;
  /** The kernel's interface index. */
  index: number;
  /** Up and with carrier (both UP and LOWER_UP). */
  usable: boolean;
  /** The interface was removed. */
  deleted: boolean;
  /**
   * The interface's new name, when it was renamed: the managed name is then
   * gone as if removed, while the kernel keeps the link with its addresses
   * and routes under the new name.
   */
  renamedTo?: string;
}

/** A managed interface as known when watching starts. */
export interface WatchedLink {
  /** Up and with carrier. */
  usable: boolean;
  /** The kernel's index, if the interface exists. */
  index?: number | undefined;
}

/** One link event as `ip monitor` reports it. */
export type LinkEvent = Omit<LinkChange, "renamedTo">;

/**
 * Follows managed interfaces by kernel index as well as by name: a rename
 * keeps the index and changes the name, a removal ends the index, and a new
 * interface of a managed name (created, or renamed back) takes it up again.
 * Repeated reports of an unchanged state are suppressed, since the kernel
 * announces every flag change.
 *
 * @example A rename ends management of the old name
 * ```ts
 * import assert from "node:assert/strict";
 * import { LinkTable } from "./link_table.ts";
 *
 * const table = new LinkTable(new Map([["eth0", { usable: true, index: 3 }]]));
 * const [change] = table.update({
 *   name: "wan0",
 *   index: 3,
 *   usable: true,
 *   deleted: false,
 * });
 * assert.equal(change?.renamedTo, "wan0");
 * ```
 */
export class LinkTable {
  #usable = new Map<string, boolean>();
  #index = new Map<string, number>();

  /**
   * Creates a table of managed interfaces.
   *
   * @param links The managed interfaces by name, with their current state.
   */
  constructor(links: ReadonlyMap<string, WatchedLink>) {
    for (const [name, link] of links) {
      this.#usable.set(name, link.usable);
      if (link.index !== undefined) this.#index.set(name, link.index);
    }
  }

  /**
   * Takes in one link event.
   *
   * @param event The event, as {@linkcode parseLinkLine} reads it.
   * @returns The changes of managed interfaces it makes, in order: a
   * rename away from a managed name comes before the appearance of a
   * managed name it was renamed to.
   */
  update(event: LinkEvent): LinkChange[] {
    const changes: LinkChange[] = [];
    for (const [name, index] of this.#index) {
      if (index !== event.index || name === event.name) continue;
      // The link that held a managed name now has another one: a rename
      // (or, if this is its removal, a rename whose event was missed).
      this.#index.delete(name);
      this.#usable.set(name, false);
      changes.push(
        event.deleted ? { name, index, usable: false, deleted: true } : {
          name,
          index,
          usable: false,
          deleted: false,
          renamedTo: event.name,
        },
      );
    }
    const before = this.#usable.get(event.name);
    if (before === undefined) return changes;
    const known = this.#index.get(event.name);
    if (event.deleted) {
      // A removal of an index other than the managed one is stale.
      if (known !== undefined && known !== event.index) return changes;
      this.#index.delete(event.name);
      this.#usable.set(event.name, false);
      changes.push({ ...event, usable: false });
      return changes;
    }
    // Two links never share a name, so a new index means the old link is
    // gone and this one replaces it.
    this.#index.set(event.name, event.index);
    if (before === event.usable) return changes;
    this.#usable.set(event.name, event.usable);
    changes.push(event);
    return changes;
  }
}
