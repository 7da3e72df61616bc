/**
 * Recording what the running client knows, for its next start and for the
 * `status` subcommand: lease records in the state directory and live
 * snapshots in the runtime directory. A failing write is logged and the
 * client keeps running.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import {
  holdsLease,
  type InterfaceClient,
  type LeaseEvent,
} from "../lib/client/interface_client.ts";
import type { Lease } from "../lib/client/lease.ts";
import {
  fromStoredLease,
  isStoredLeaseExpired,
  type LeaseStore,
} from "../lib/state/lease_store.ts";
import {
  removeStatus,
  snapshotOf,
  writeStatus,
} from "../lib/state/status_store.ts";
import { errorText } from "../lib/log/error_text.ts";

const logger = getLogger(["ocidhcp", "state"]);
const STATUS_DELAY_MS = 50;

// Carrier loss keeps the record: the address is asked for again with
// INIT-REBOOT when the link returns, or after a restart.
const FORGETS_LEASE = new Set(["expired", "nak", "released"]);

/** What a status snapshot reads of a client. */
export type RecordedClient = Pick<
  InterfaceClient,
  "interface" | "state" | "lease" | "deadline"
>;

/** Keeps lease records and status snapshots up to date. */
export class StateRecorder {
  #store: LeaseStore | undefined;
  #runtimeDir: string;
  #clients: ReadonlyMap<string, RecordedClient> = new Map();
  #owner: string | undefined;
  #queue: Promise<void> = Promise.resolve();
  #dirty = new Set<string>();
  #statusTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param store Lease records, or undefined to keep none.
   * @param runtimeDir Where status snapshots go.
   */
  constructor(store: LeaseStore | undefined, runtimeDir: string) {
    this.#store = store;
    this.#runtimeDir = runtimeDir;
  }

  /**
   * Reads the unexpired leases of an earlier run: their addresses are asked
   * for with INIT-REBOOT, and what they installed is removed if refused.
   *
   * @param names The interfaces.
   * @returns The leases, by interface.
   */
  async previousLeases(
    names: readonly string[],
  ): Promise<Map<string, Lease>> {
    const leases = new Map<string, Lease>();
    if (this.#store === undefined) return leases;
    for (const name of names) {
      const stored = await this.#store.load(name);
      const now = { wall: Date.now(), monotonic: performance.now() };
      if (stored !== undefined && !isStoredLeaseExpired(stored, now.wall)) {
        leases.set(name, fromStoredLease(stored, now));
      }
    }
    return leases;
  }

  /**
   * Sets the clients whose state is recorded.
   *
   * @param clients The clients, by interface.
   */
  attach(clients: ReadonlyMap<string, RecordedClient>): void {
    this.#clients = clients;
    for (const name of clients.keys()) this.#status(name);
  }

  /**
   * Records a lease event.
   *
   * @param event The event.
   */
  leaseEvent(event: LeaseEvent): void {
    const store = this.#store;
    if (store !== undefined && holdsLease(event) === true) {
      this.#enqueue(event.interface, () => store.save(event.lease));
    } else if (store !== undefined && FORGETS_LEASE.has(event.type)) {
      this.#enqueue(event.interface, () => store.remove(event.interface));
    }
    this.#status(event.interface);
  }

  /**
   * Records a state change.
   *
   * @param client The client that changed.
   */
  stateChanged(client: RecordedClient): void {
    this.#status(client.interface);
  }

  /**
   * Records a new default-route owner.
   *
   * @param owner The owner now.
   * @param previous The owner before.
   */
  ownerChanged(owner: string | undefined, previous: string | undefined): void {
    this.#owner = owner;
    for (const name of [owner, previous]) {
      if (name !== undefined && this.#clients.has(name)) this.#status(name);
    }
  }

  /**
   * Waits for every record asked for so far.
   *
   * @returns When the writes are done (or failed and were logged).
   */
  flush(): Promise<void> {
    this.#writeStatuses();
    return this.#queue;
  }

  /**
   * Removes the status snapshots of stopped clients and waits for writes.
   *
   * @returns When done.
   */
  async close(): Promise<void> {
    clearTimeout(this.#statusTimer);
    this.#dirty.clear();
    for (const name of this.#clients.keys()) {
      this.#enqueue(name, () => removeStatus(this.#runtimeDir, name));
    }
    await this.#queue;
  }

  // A client passes through three or four states on its way to BOUND, a
  // few milliseconds apart, and each snapshot written costs the event loop
  // a fraction of a millisecond: they are written STATUS_DELAY_MS after the
  // first change of a burst, the latest state of each interface once, or
  // at once by flush().
  #status(name: string): void {
    if (!this.#clients.has(name)) return;
    this.#dirty.add(name);
    this.#statusTimer ??= setTimeout(
      () => this.#writeStatuses(),
      STATUS_DELAY_MS,
    );
  }

  #writeStatuses(): void {
    clearTimeout(this.#statusTimer);
    this.#statusTimer = undefined;
    for (const name of this.#dirty) {
      const client = this.#clients.get(name);
      if (client === undefined) continue;
      // Read when the write runs, so a burst of changes records the latest.
      this.#enqueue(name, () =>
        writeStatus(
          this.#runtimeDir,
          snapshotOf({
            interface: name,
            state: client.state,
            lease: client.lease,
            deadline: client.deadline,
            defaultRouteOwner: this.#owner === name,
          }),
        ));
    }
    this.#dirty.clear();
  }

  // Each record belongs to one interface, which the failure names.
  #enqueue(name: string, write: () => Promise<void>): void {
    this.#queue = this.#queue.then(write).catch((error) => {
      logger.error("{interface}: {error}; the client keeps running", {
        interface: name,
        error: errorText(error),
      });
    });
  }
}
