/**
 * Turning a lease into system configuration, and back.
 *
 * A lease's link, address and routes go to the kernel in one `ip` process;
 * its default route goes through the {@linkcode DefaultRouteCoordinator},
 * which decides under a namespace-wide lock which interface owns it.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { CommandRunner } from "../process/command.ts";
import {
  addressDeleteArgv,
  addressReplaceArgv,
  linkUpArgv,
  listAddresses,
  type PresentAddress,
} from "../ip/address.ts";
import { IpBatchQueue, type IpCommand } from "../ip/batch.ts";
import type { Route } from "../route/route.ts";
import { routeArgv } from "../route/route.ts";
import { routesForLease } from "../route/lease_routes.ts";
import type { Lease } from "./lease.ts";
import type { Clock } from "./state_machine.ts";

const logger = getLogger(["ocidhcp", "configure"]);

/** Applies and removes leases; the client's only way to touch the system. */
export interface LeaseConfigurator {
  /**
   * Applies a new lease in full: link up and MTU, address with lifetimes,
   * routes, then the default-route decision.
   *
   * @param lease The lease to apply.
   * @param previous The lease applied before on this interface, if any;
   * what it installed and the new one does not need is removed.
   */
  apply(lease: Lease, previous: Lease | undefined): Promise<void>;
  /**
   * Refreshes an unchanged lease after a renewal: the address lifetimes,
   * and the default-route decision (which leaves an owned route untouched).
   *
   * @param lease The renewed lease.
   */
  refresh(lease: Lease): Promise<void>;
  /**
   * Removes everything the lease installed and hands the default route to
   * the next candidate.
   *
   * @param lease The lease to remove.
   */
  remove(lease: Lease): Promise<void>;
  /**
   * Removes what the lease installed from the link its interface became
   * when renamed: the kernel keeps addresses and routes, default route
   * included, under the new name. The candidacy is left to
   * {@linkcode LeaseConfigurator.remove}.
   *
   * @param lease The lease whose configuration to remove.
   * @param device The link's new name.
   */
  removeFrom(lease: Lease, device: string): Promise<void>;
  /**
   * Forgets the lease without touching the system: the address keeps its
   * kernel lifetime so a restarted client can adopt it.
   *
   * @param lease The lease to leave in place.
   */
  abandon(lease: Lease): Promise<void>;
  /**
   * Takes over a lease an earlier run left in place (stopped without
   * release), so that applying another lease or removing this one deletes
   * its address and routes. Nothing is adopted unless the interface still
   * carries the lease's address with a finite lifetime, as a leased address
   * is installed: an address configured by other means is never taken.
   *
   * @param lease The earlier run's lease, rebuilt from its record.
   * @returns Whether the lease was adopted.
   */
  adopt(lease: Lease): Promise<boolean>;
}

/** Decides which interface owns the default route; see the route module. */
export interface DefaultRouteCoordinator {
  /**
   * Registers an interface's default route candidate and decides.
   *
   * @param interfaceName The interface.
   * @param route Its default route, or undefined when its lease has none.
   * @param options Whether the interface is opted out; `ready`, when the
   * route can be installed (the lease's address and routes are in place),
   * so that the decision can be prepared meanwhile. A rejected `ready`
   * fails the offer with its error.
   * @returns What was done.
   */
  offer(
    interfaceName: string,
    route: Route | undefined,
    options?: { optedOut?: boolean; ready?: Promise<void> },
  ): Promise<"install" | "keep" | "skip">;
  /**
   * Withdraws an interface's candidacy, handing the route over if it owned
   * it.
   *
   * @param interfaceName The interface.
   */
  withdraw(interfaceName: string): Promise<void>;
}

/** Options for {@linkcode IpConfigurator}. */
export interface IpConfiguratorOptions {
  /** Runs `ip`. */
  runner: CommandRunner;
  /** Decides the default route. */
  coordinator: DefaultRouteCoordinator;
  /** Interfaces that must never install a default route. */
  noDefaultRoute?: ReadonlySet<string>;
  /**
   * The metric of every route a lease installs.
   *
   * @default {0}
   */
  metric?: number;
  /** Monotonic milliseconds, matching the lease's `acquiredAt`. */
  clock?: Clock;
}

// Deleting what is already gone is success: the kernel drops routes of a
// downed link and addresses whose lifetime ran out on its own.
const GONE_ROUTE = /No such process|Cannot find device/;
const GONE_ADDRESS = /Cannot assign requested address|Cannot find device/;

/** Applies leases with iproute2. */
export class IpConfigurator implements LeaseConfigurator {
  #options: IpConfiguratorOptions;
  #clock: Clock;
  #installed = new Map<string, Route[]>();
  // Leases bound at the same moment (many interfaces at start) share an
  // `ip` process.
  #batches: IpBatchQueue;
  #listing: Promise<Map<string, PresentAddress[]>> | undefined;

  /**
   * Creates an IpConfigurator.
   *
   * @param options The runner, the default-route coordinator and settings.
   */
  constructor(options: IpConfiguratorOptions) {
    this.#options = options;
    this.#batches = new IpBatchQueue(options.runner);
    this.#clock = options.clock ?? { now: () => performance.now() };
  }

  /** {@inheritDoc LeaseConfigurator.apply} */
  async apply(lease: Lease, previous: Lease | undefined): Promise<void> {
    const device = lease.interface;
    const { routes, defaultRoute } = this.#routesOf(lease);
    const commands: IpCommand[] = [];
    if (previous !== undefined && previous.address !== lease.address) {
      commands.push({
        argv: addressDeleteArgv({ ...previous, device }),
        tolerate: GONE_ADDRESS,
      });
    }
    commands.push({ argv: linkUpArgv(device, lease.interfaceMtu) });
    commands.push({ argv: this.#addressArgv(lease) });
    const wanted = new Set(routes.map(routeKey));
    for (const stale of this.#installed.get(device) ?? []) {
      if (!wanted.has(routeKey(stale))) {
        commands.push({
          argv: routeArgv("delete", stale),
          tolerate: GONE_ROUTE,
        });
      }
    }
    for (const route of routes) {
      commands.push({ argv: routeArgv("replace", route) });
    }
    const batch = this.#batches.run(commands);
    // The election lists the table while the batch runs, and installs the
    // default route once the batch is done.
    const offered = this.#offer(lease, defaultRoute, batch);
    try {
      await batch;
    } catch (error) {
      // The batch runs with -force, so the lines around a failing one took
      // effect: some new routes are in, some stale ones may still be. Both
      // count as installed, so the retry and a later removal delete them;
      // deleting one that is not there is tolerated.
      this.#installed.set(device, unionOf(this.#installed.get(device), routes));
      await offered.catch(() => {});
      throw error;
    }
    this.#installed.set(device, routes);
    await offered;
  }

  /** {@inheritDoc LeaseConfigurator.refresh} */
  async refresh(lease: Lease): Promise<void> {
    const batch = this.#batches.run([{
      argv: this.#addressArgv(lease),
    }]);
    const offered = this.#offer(
      lease,
      this.#routesOf(lease).defaultRoute,
      batch,
    );
    try {
      await batch;
    } catch (error) {
      await offered.catch(() => {});
      throw error;
    }
    await offered;
  }

  /** {@inheritDoc LeaseConfigurator.remove} */
  async remove(lease: Lease): Promise<void> {
    const device = lease.interface;
    // The default route goes first: it depends on the address and routes
    // below, and the next candidate should take over without a gap.
    await this.#options.coordinator.withdraw(device);
    await this.#batches.run(
      removalCommands(lease, device, this.#installed.get(device) ?? []),
    );
    this.#installed.delete(device);
  }

  /** {@inheritDoc LeaseConfigurator.removeFrom} */
  async removeFrom(lease: Lease, device: string): Promise<void> {
    // Computed from the lease rather than taken from what was installed:
    // a carrier loss just before the rename may have forgotten that.
    const { routes, defaultRoute } = this.#routesOf(lease);
    const all = defaultRoute === undefined ? routes : [...routes, defaultRoute];
    await this.#batches.run(removalCommands(lease, device, all));
  }

  /** {@inheritDoc LeaseConfigurator.abandon} */
  abandon(lease: Lease): Promise<void> {
    this.#installed.delete(lease.interface);
    return Promise.resolve();
  }

  /** {@inheritDoc LeaseConfigurator.adopt} */
  async adopt(lease: Lease): Promise<boolean> {
    // The adoptions of a start, one per interface, come together: one
    // listing of every interface's addresses serves all made while it runs.
    this.#listing ??= listAddresses(this.#options.runner).finally(() => {
      this.#listing = undefined;
    });
    const present = (await this.#listing).get(lease.interface) ?? [];
    const found = present.find((each) =>
      each.address === lease.address && each.prefix === lease.prefix
    );
    // A leased address carries the lease's lifetime; "forever" means an
    // administrator (or another program) put it there, unless the lease
    // itself is infinite.
    if (
      found === undefined ||
      (found.validLifetime === Infinity && Number.isFinite(lease.leaseTime))
    ) {
      return false;
    }
    this.#installed.set(lease.interface, this.#routesOf(lease).routes);
    return true;
  }

  #routesOf(lease: Lease): ReturnType<typeof routesForLease> {
    return routesForLease({
      device: lease.interface,
      address: lease.address,
      prefix: lease.prefix,
      routers: lease.routers,
      classlessStaticRoutes: lease.classlessStaticRoutes,
      metric: this.#options.metric ?? 0,
    });
  }

  #addressArgv(lease: Lease): string[] {
    const elapsed = (this.#clock.now() - lease.acquiredAt) / 1000;
    // At least one second: a zero lifetime would remove the address at once,
    // before the state machine's own expiry runs.
    const remaining = Math.max(1, lease.leaseTime - Math.max(0, elapsed));
    return addressReplaceArgv({
      device: lease.interface,
      address: lease.address,
      prefix: lease.prefix,
      broadcast: lease.broadcastAddress,
      validLifetime: remaining,
    });
  }

  async #offer(
    lease: Lease,
    route: Route | undefined,
    ready: Promise<void>,
  ): Promise<void> {
    const optedOut = this.#options.noDefaultRoute?.has(lease.interface) ??
      false;
    const decision = await this.#options.coordinator.offer(
      lease.interface,
      route,
      { optedOut, ready },
    );
    logger.debug("{interface}: default route decision: {decision}", {
      interface: lease.interface,
      decision,
    });
  }
}

function routeKey(route: Route): string {
  return routeArgv("replace", route).join(" ");
}

// Deletes routes, last installed first, then the lease's address, all on
// one device; what is already gone counts as removed, so teardown repeats.
function removalCommands(
  lease: Lease,
  device: string,
  routes: readonly Route[],
): IpCommand[] {
  const commands: IpCommand[] = routes.toReversed().map((route) => ({
    argv: routeArgv("delete", { ...route, device }),
    tolerate: GONE_ROUTE,
  }));
  commands.push({
    argv: addressDeleteArgv({ ...lease, device }),
    tolerate: GONE_ADDRESS,
  });
  return commands;
}

// The routes of both lists, each once, in order.
function unionOf(
  a: readonly Route[] | undefined,
  b: readonly Route[],
): Route[] {
  const byKey = new Map<string, Route>();
  for (const route of [...(a ?? []), ...b]) byKey.set(routeKey(route), route);
  return [...byKey.values()];
}
