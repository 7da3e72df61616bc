/**
 * Keeping resolv.conf in step with the leases of every interface.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { Lease } from "../client/lease.ts";
import { compareInterfaceNames } from "../route/default_route_policy.ts";
import {
  exceedsGlibcLimit,
  GLIBC_MAX_NAMESERVERS,
  renderResolvConf,
} from "./resolv_conf.ts";
import {
  ResolvConfError,
  type ResolvConfWriter,
} from "./resolv_conf_writer.ts";
import { errorText } from "../log/error_text.ts";

const logger = getLogger(["ocidhcp", "dns"]);

/** Where the rendered file goes; a writer, or a printer for dry runs. */
export interface ResolvConfTarget {
  /**
   * Writes the content.
   *
   * @param content The whole file.
   */
  write(content: string): Promise<unknown>;
  /** Puts back what was there before the first write. */
  restore(): Promise<void>;
}

/**
 * Rewrites resolv.conf whenever a lease or the default-route owner changes,
 * restores the original when the last lease goes, and warns once when more
 * nameservers exist than glibc reads. Failures are logged, never thrown:
 * the network stays configured without DNS.
 *
 * The file is written only while some lease brings a nameserver (option 6)
 * or a search domain (option 119 or 15). Leases without them leave the file
 * as it was, since it is typically the one a container runtime wrote with
 * the nameservers the container needs, and if an earlier lease's DNS
 * settings had been written, its original text comes back.
 */
export class ResolvConfManager {
  #target: ResolvConfTarget | ResolvConfWriter;
  #leases = new Map<string, Lease>();
  #owner: string | undefined;
  #warnedLimit = false;
  #warnedRejected = new Set<string>();
  // Whether the file holds our text, so that restore() is asked for only
  // then: a dry run's target prints every call.
  #written = false;
  #queue: Promise<void> = Promise.resolve();

  /**
   * Creates a ResolvConfManager.
   *
   * @param target The writer of the file.
   */
  constructor(target: ResolvConfTarget | ResolvConfWriter) {
    this.#target = target;
  }

  /**
   * Records an interface's current lease (or its loss) and rewrites.
   *
   * @param name The interface.
   * @param lease Its lease, or undefined when it has none.
   * @returns When the file has been written.
   */
  update(name: string, lease: Lease | undefined): Promise<void> {
    if (lease === undefined) this.#leases.delete(name);
    else this.#leases.set(name, lease);
    return this.#enqueue(name);
  }

  /**
   * Records the interface that owns the default route, whose nameservers
   * come first, and rewrites.
   *
   * @param owner The owner, if any.
   * @returns When the file has been written.
   */
  setOwner(owner: string | undefined): Promise<void> {
    // The interface that gains the route, or the one that lost it.
    const concerned = owner ?? this.#owner;
    if (owner === this.#owner || concerned === undefined) return this.#queue;
    this.#owner = owner;
    return this.#enqueue(concerned);
  }

  /**
   * Waits for every write asked for so far.
   *
   * @returns When the file is up to date.
   */
  flush(): Promise<void> {
    return this.#queue;
  }

  // Each rewrite is logged under the interface whose change asked for it.
  #enqueue(name: string): Promise<void> {
    this.#queue = this.#queue.then(() => this.#sync(name)).catch((error) => {
      logger.error("{interface}: cannot update resolv.conf: {error}", {
        interface: name,
        error: errorText(error),
      });
    });
    return this.#queue;
  }

  async #sync(concerned: string): Promise<void> {
    const names = [...this.#leases.keys()].sort(compareInterfaceNames);
    const order = this.#owner !== undefined && this.#leases.has(this.#owner)
      ? [this.#owner, ...names.filter((name) => name !== this.#owner)]
      : names;
    const leases = order.map((name) => ({
      ...this.#leases.get(name)!,
      interface: name,
    }));
    const result = renderResolvConf({ leases, order });
    for (const rejected of result.rejected) {
      const key = `${rejected.interface}\0${rejected.value}`;
      if (this.#warnedRejected.has(key)) continue;
      this.#warnedRejected.add(key);
      logger.warning(
        "{interface}: not written to resolv.conf: {value}: {reason}",
        {
          interface: rejected.interface,
          value: JSON.stringify(rejected.value),
          reason: rejected.reason,
        },
      );
    }
    if (result.nameservers.length === 0 && result.search.length === 0) {
      // A header-only file would wipe what the runtime put there.
      if (
        this.#written &&
        await this.#guard(concerned, () => this.#target.restore())
      ) {
        this.#written = false;
      }
      return;
    }
    if (exceedsGlibcLimit(result) && !this.#warnedLimit) {
      this.#warnedLimit = true;
      const ignored = result.nameservers.slice(GLIBC_MAX_NAMESERVERS);
      // Named: the interfaces whose servers are the ones left unused.
      const unusedFrom = leases.filter((lease) =>
        lease.domainNameServers.some((server) => ignored.includes(server))
      );
      logger.warning(
        "{interface}: glibc reads only the first 3 of {count} nameservers " +
          "({used}), not {ignored}",
        {
          interface: unusedFrom.map((lease) => lease.interface).join(", "),
          ignored: ignored.join(" "),
          count: result.nameservers.length,
          used: result.nameservers.slice(0, GLIBC_MAX_NAMESERVERS).join(" "),
        },
      );
    }
    this.#written = true;
    await this.#guard(concerned, () => this.#target.write(result.content));
  }

  async #guard(
    concerned: string,
    write: () => Promise<unknown>,
  ): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (!(error instanceof ResolvConfError)) throw error;
      logger.error("{interface}: {error}; the network stays configured", {
        interface: concerned,
        error: error.message,
      });
      return false;
    }
  }
}
