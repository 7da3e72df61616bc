/**
 * Arbitration of the IPv4 default route between every ocidhcp client of one
 * network namespace, whether they run in one process or in several.
 *
 * Each candidate interface is registered as a file under
 * `<runtime dir>/candidates/`, carrying the route it offers, so any process
 * can install another's route when the owner goes away. Every election runs
 * under one namespace-wide flock, so listing the table and replacing the
 * route cannot interleave between clients.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { CommandFailedError, type CommandRunner } from "../process/command.ts";
import {
  compareInterfaceNames,
  decideDefaultRoute,
  type DefaultRouteDecision,
  type ForeignPolicy,
} from "./default_route_policy.ts";
import {
  checkInterfaceName,
  claimInterface,
  interfaceLockPath,
} from "./interface_claim.ts";
import { DeviceNotFoundError, IpRoute, type RouteChange } from "./ip_route.ts";
import { acquireLock, type FileLock, isLockHeld } from "./lock.ts";
import { isDefaultRoute, parseRoutes, type Route, routeArgv } from "./route.ts";
import { parseLinks } from "../ip/link.ts";
import type { IpMonitor } from "../ip/monitor.ts";
import { RouteWatcher, type SpawnChild, spawnChild } from "./route_watcher.ts";
import { ensureRuntimeDir } from "./runtime_dir.ts";
import { pidNamespace, ProcessWatch } from "./process_watch.ts";

export { claimInterface, InterfaceBusyError } from "./interface_claim.ts";

// The runtime directory is on tmpfs: its files are read and written with
// synchronous calls, microseconds each, where every asynchronous call would
// be a round trip through Deno's blocking thread pool inside an election.
function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Gone already, or removed by another process's election.
  }
}

const logger = getLogger(["ocidhcp", "route"]);

// How often a process with a candidacy checks whether another process's
// candidate (possibly the owner) died without withdrawing.
const STALE_CHECK_MS = 500;
// Route and link events often come in bursts (a link going down drops
// several routes); one election after the burst is enough.
const DEBOUNCE_MS = 50;

/** Options of {@linkcode DefaultRouteArbiter.open}. */
export interface ArbiterOptions {
  /** Runs `ip`. */
  runner: CommandRunner;
  /** The namespace's runtime directory; created if missing. */
  runtimeDir: string;
  /**
   * How to treat a default route ocidhcp did not install.
   *
   * @default {"compete"}
   */
  foreign?: ForeignPolicy;
  /** Called when this arbiter sees the owner change. */
  onOwnerChange?: (
    owner: string | undefined,
    previous: string | undefined,
  ) => void;
  /**
   * Starts the long-running `ip monitor` child, stdout piped; inject one
   * that enters a namespace in tests. Ignored when `monitor` is given.
   *
   * @default {Deno.Command}
   */
  spawn?: SpawnChild;
  /** The process's shared `ip monitor`, to follow instead of a new child. */
  monitor?: IpMonitor;
}

/** What a registration file holds. */
interface Registration {
  pid: number;
  /**
   * The inode of the writer's PID namespace, as a decimal string, so that
   * a reader knows whether `pid` names the same process for it.
   */
  pidNamespace?: string;
  interface: string;
  route: Route;
}

// Registration files are shared with other processes, possibly of another
// version: anything not of the expected shape is ignored.
function asRegistration(data: unknown): Registration | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const { pid, pidNamespace, interface: name, route } = data as Record<
    string,
    unknown
  >;
  if (typeof pid !== "number" || typeof name !== "string") return undefined;
  if (typeof route !== "object" || route === null) return undefined;
  const { destination, device } = route as Record<string, unknown>;
  if (destination !== "default" || device !== name) return undefined;
  try {
    checkInterfaceName(name);
  } catch {
    return undefined;
  }
  const registration: Registration = {
    pid,
    interface: name,
    route: route as Route,
  };
  if (typeof pidNamespace === "string") {
    registration.pidNamespace = pidNamespace;
  }
  return registration;
}

function sameRoute(a: Route, b: Route): boolean {
  return a.gateway === b.gateway && a.device === b.device &&
    (a.metric ?? 0) === (b.metric ?? 0) && a.protocol === b.protocol &&
    (a.scope ?? "global") === (b.scope ?? "global");
}

/** What an offer's election did for the offering interface. */
type ElectionResult = "install" | "keep" | "skip";

// An offer waiting for its round: the route, when it can be installed, and
// every caller that offered it.
interface PendingOffer {
  route: Route;
  ready: Promise<void> | undefined;
  waiters: PromiseWithResolvers<ElectionResult>[];
}

// What an election reads of the namespace: the links up with carrier, and
// the main table.
interface Snapshot {
  usable: Set<string>;
  routes: Route[];
}

function byMetric(a: Route, b: Route): number {
  return (a.metric ?? 0) - (b.metric ?? 0);
}

/**
 * Keeps exactly one IPv4 default route in the main table, owned by the
 * candidate interface whose name sorts first in byte order, and hands it
 * over when the owner withdraws, loses its link or its process dies.
 *
 * Limitations: a foreign default route replaced under "compete" is not
 * restored when ocidhcp's candidates withdraw. Events between starting the
 * route watcher and its subscription are not seen; the next offer, withdraw
 * or stale-owner check catches up.
 *
 * @example One process, two interfaces
 * ```ts ignore
 * import { DefaultRouteArbiter } from "./arbiter.ts";
 * import { DenoCommandRunner } from "../process/command.ts";
 * import { runtimeDir } from "./runtime_dir.ts";
 *
 * const arbiter = await DefaultRouteArbiter.open({
 *   runner: new DenoCommandRunner(),
 *   runtimeDir: runtimeDir(),
 * });
 * const route = (device: string, gateway: string) =>
 *   ({ destination: "default", gateway, device });
 * await arbiter.offer("eth1", route("eth1", "198.18.1.1")); // "install"
 * await arbiter.offer("eth0", route("eth0", "198.18.0.1")); // "install"
 * await arbiter.offer("eth1", route("eth1", "198.18.1.1")); // "skip"
 * // Withdraws both; with no other process's candidate, the route stays on
 * // eth0 for the next start to adopt.
 * await arbiter.close();
 * ```
 */
export class DefaultRouteArbiter {
  #ip: IpRoute;
  #dir: string;
  #foreign: ForeignPolicy;
  #onOwnerChange:
    | ((owner: string | undefined, previous: string | undefined) => void)
    | undefined;
  #runner: CommandRunner;
  #claims = new Map<string, FileLock>();
  #registered = new Map<string, Route>();
  #pendingOffers = new Map<string, PendingOffer>();
  #roundQueued = false;
  #owner: string | undefined;
  #closed = false;
  #watcher: RouteWatcher;
  #watching = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #ownerWriter: Registration | undefined;
  #processWatch = new ProcessWatch(() => this.#runInBackground());
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #background: Promise<void> = Promise.resolve();

  private constructor(options: ArbiterOptions) {
    this.#runner = options.runner;
    this.#ip = new IpRoute(options.runner);
    this.#dir = options.runtimeDir;
    this.#foreign = options.foreign ?? "compete";
    this.#onOwnerChange = options.onOwnerChange;
    this.#watcher = new RouteWatcher(
      options.monitor ?? options.spawn ?? spawnChild,
      () => this.#schedule(),
    );
  }

  /**
   * Opens an arbiter on a namespace's runtime directory.
   *
   * @param options The runner, the runtime directory and the policy.
   * @returns The arbiter; call {@linkcode DefaultRouteArbiter.close} when
   * done.
   * @throws {Deno.errors.PermissionDenied} If the directory cannot be made.
   */
  static open(options: ArbiterOptions): Promise<DefaultRouteArbiter> {
    try {
      ensureRuntimeDir(options.runtimeDir);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(new DefaultRouteArbiter(options));
  }

  /** The owner this arbiter saw at its last election. */
  get owner(): string | undefined {
    return this.#owner;
  }

  /**
   * Claims an interface for this process, if not done yet; {@linkcode offer}
   * does so itself.
   *
   * @param name The interface.
   * @throws {InterfaceBusyError} If another process manages it.
   */
  async claim(name: string): Promise<void> {
    this.#assertOpen();
    if (this.#claims.has(name)) return;
    this.#claims.set(name, await claimInterface(this.#dir, name));
  }

  /**
   * Starts watching the main table now, rather than at the first offer:
   * called while the claimed interfaces acquire their leases, it takes the
   * watcher's spawn off the path to the first election.
   */
  watch(): void {
    this.#assertOpen();
    this.#updateWatch();
  }

  /**
   * Offers an interface's default route (or its absence) and runs an
   * election. Offering the same route again changes nothing.
   *
   * @param name The interface.
   * @param route Its default route candidate, or undefined for none.
   * @param options `optedOut` keeps the interface out of the election.
   * `ready` resolves once the route can be installed, when the lease's
   * address and routes are in place: the election takes the lock and
   * lists the table meanwhile, and registers the candidacy only then. If
   * it rejects, the offer fails with its error and nothing is registered.
   * @returns "install" if this call installed the route, "keep" if the
   * interface already owned it, "skip" if another interface owns it.
   * @throws {TypeError} If the route is not a default route on `name`.
   * @throws {InterfaceBusyError} If another process manages the interface.
   * @throws {CommandFailedError} If `ip` fails.
   */
  async offer(
    name: string,
    route: Route | undefined,
    options: { optedOut?: boolean; ready?: Promise<void> } = {},
  ): Promise<"install" | "keep" | "skip"> {
    this.#assertOpen();
    checkInterfaceName(name);
    if (options.optedOut === true || route === undefined) {
      await options.ready;
      await this.claim(name);
      await this.withdraw(name);
      logger.info("{interface}: not a default route candidate: {reason}", {
        interface: name,
        reason: options.optedOut === true ? "opted out" : "no router",
      });
      return "skip";
    }
    if (!isDefaultRoute(route)) {
      throw new TypeError(
        `Offered route must be a default route, got ${route.destination}`,
      );
    }
    if (route.device !== undefined && route.device !== name) {
      throw new TypeError(
        `Offered route must use device ${name}, got ${route.device}`,
      );
    }
    const normal: Route = {
      ...route,
      destination: "default",
      device: name,
      table: "main",
      protocol: "dhcp",
      metric: route.metric ?? 0,
    };
    await this.claim(name);
    return await this.#joinRound(name, normal, options.ready);
  }

  // Offers that arrive while a round waits for the lock, or while it lists
  // the table, join it: when many interfaces are bound at once, one listing
  // and one install serve them all instead of an election each.
  #joinRound(
    name: string,
    route: Route,
    ready: Promise<void> | undefined,
  ): Promise<ElectionResult> {
    const waiter = Promise.withResolvers<ElectionResult>();
    const pending = this.#pendingOffers.get(name);
    if (pending === undefined) {
      this.#pendingOffers.set(name, { route, ready, waiters: [waiter] });
    } else {
      // The latest route of an interface is the one that counts.
      pending.route = route;
      pending.ready = ready;
      pending.waiters.push(waiter);
    }
    if (!this.#roundQueued) {
      this.#roundQueued = true;
      this.#locked(() => this.#runRound()).catch((error: unknown) => {
        // The lock itself failed, so the round never started.
        this.#roundQueued = false;
        const offers = this.#pendingOffers;
        this.#pendingOffers = new Map();
        for (const { waiters } of offers.values()) {
          for (const each of waiters) each.reject(error);
        }
      });
    }
    return waiter.promise;
  }

  // Registers the pending offers and runs one election for them; must run
  // under the namespace lock. Registering under the lock means no other
  // election sees a candidacy before this one, so "install" always means
  // this round installed the route.
  async #runRound(): Promise<void> {
    // The table is listed while the offered leases are still being
    // applied: an `ip` process off the path to the route. Under the lock no
    // other election changes it meanwhile, and a lease's own address and
    // routes never include a default route.
    const listing = this.#snapshot();
    const listed = listing.then(() => {}, () => {});
    // Offers made until the listing is done and their leases applied join
    // this round: leases bound a few milliseconds apart, as at start, share
    // one election rather than queueing one each.
    const offers = new Map<string, PendingOffer>();
    for (;;) {
      const arrived = this.#pendingOffers;
      this.#pendingOffers = new Map();
      for (const [name, offer] of arrived) {
        offer.waiters.unshift(...(offers.get(name)?.waiters ?? []));
        offers.set(name, offer);
      }
      for (const [name, offer] of arrived) {
        try {
          await offer.ready;
        } catch (error) {
          for (const each of offer.waiters) each.reject(error);
          if (offers.get(name) === offer) offers.delete(name);
        }
      }
      if (this.#pendingOffers.size > 0) continue;
      await listed;
      if (this.#pendingOffers.size === 0) break;
    }
    this.#roundQueued = false;
    let results: Map<string, ElectionResult | Error>;
    try {
      const snapshot = await listing;
      if (offers.size === 0) return;
      for (const [name, { route }] of offers) {
        const previous = this.#registered.get(name);
        if (previous === undefined || !sameRoute(previous, route)) {
          this.#writeRegistration(name, route);
        }
        this.#registered.set(name, route);
      }
      this.#updateWatch();
      results = await this.#elect(new Set(offers.keys()), new Set(), false, {
        snapshot,
      });
    } catch (error) {
      for (const { waiters } of offers.values()) {
        for (const each of waiters) each.reject(error);
      }
      return;
    }
    for (const [name, { waiters }] of offers) {
      const result = results.get(name) ?? "skip";
      for (const each of waiters) {
        if (result instanceof Error) each.reject(result);
        else each.resolve(result);
      }
    }
  }

  /**
   * Withdraws an interface's candidacy. If it owns the default route, the
   * route is deleted and the next live candidate's route is installed in
   * the same locked step. The interface stays claimed.
   *
   * @param name The interface.
   * @param options `keepIfAlone` leaves an owned route in place when no
   * other candidate can take it.
   * @throws {CommandFailedError} If `ip` fails.
   */
  async withdraw(
    name: string,
    options: { keepIfAlone?: boolean } = {},
  ): Promise<void> {
    checkInterfaceName(name);
    await this.#locked(async () => {
      this.#unregister([name]);
      await this.#elect(new Set(), new Set([name]), options.keepIfAlone);
    });
    this.#updateWatch();
  }

  /**
   * Withdraws every interface this arbiter registered, stops watching and
   * releases all locks.
   *
   * All candidacies leave in one locked step, so the route never moves to
   * another interface of this process that is stopping too: it goes to the
   * first live candidate of another process in byte order, or, with none,
   * stays where it is for the next start to adopt, as the address does.
   *
   * @param options `handOver` (default true) hands the default route this
   * process owns to another process's candidate as above; false only
   * removes the candidacies and leaves the route as it is, as a client that
   * exits after configuring must.
   * @throws {CommandFailedError} If `ip` fails while handing over.
   */
  async close(options: { handOver?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watching = false;
    this.#stopTimers();
    await this.#processWatch.close();
    await this.#watcher.stop();
    await this.#background;
    try {
      const names = [...this.#registered.keys()];
      if (names.length > 0 && (options.handOver ?? true)) {
        await this.#locked(async () => {
          this.#unregister(names);
          await this.#elect(new Set(), new Set(names), true);
        });
      } else {
        this.#unregister(names, { tolerant: true });
      }
    } finally {
      for (const claim of this.#claims.values()) claim.release();
      this.#claims.clear();
    }
  }

  // Ends candidacies: forgets them and removes their registration files.
  #unregister(
    names: readonly string[],
    options: { tolerant?: boolean } = {},
  ): void {
    for (const name of names) {
      this.#registered.delete(name);
      try {
        Deno.removeSync(this.#registrationPath(name));
      } catch (error) {
        if (options.tolerant === true) continue;
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new TypeError("Arbiter is closed");
  }

  #registrationPath(name: string): string {
    return `${this.#dir}/candidates/${checkInterfaceName(name)}.json`;
  }

  #writeRegistration(name: string, route: Route): void {
    const path = this.#registrationPath(name);
    const registration: Registration = {
      pid: Deno.pid,
      interface: name,
      route,
    };
    const namespace = pidNamespace();
    if (namespace !== null) registration.pidNamespace = String(namespace);
    // Written aside and renamed, so readers never see half a file.
    const temporary = `${path}.${Deno.pid}.tmp`;
    Deno.writeTextFileSync(temporary, JSON.stringify(registration));
    Deno.renameSync(temporary, path);
  }

  async #locked<T>(body: () => Promise<T>): Promise<T> {
    const lock = await acquireLock(`${this.#dir}/default-route.lock`, {
      wait: true,
    });
    try {
      return await body();
    } finally {
      lock?.release();
    }
  }

  // Reads the live registrations; those whose interface lock nobody holds
  // belong to dead processes and are removed.
  async #registrations(): Promise<
    {
      live: Map<string, Route>;
      stale: Set<string>;
      writers: Map<string, Registration>;
    }
  > {
    const live = new Map<string, Route>();
    const stale = new Set<string>();
    const writers = new Map<string, Registration>();
    for (const entry of Deno.readDirSync(`${this.#dir}/candidates`)) {
      if (!entry.isFile || !entry.name.endsWith(".json")) continue;
      const path = `${this.#dir}/candidates/${entry.name}`;
      let registration: Registration | undefined;
      try {
        registration = asRegistration(
          JSON.parse(Deno.readTextFileSync(path)),
        );
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue;
      }
      if (registration === undefined) {
        logger.warn("removing unreadable candidacy {path}", { path });
        removeQuietly(path);
        continue;
      }
      const name = registration.interface;
      const held = this.#claims.has(name) ||
        await isLockHeld(interfaceLockPath(this.#dir, name));
      if (held) {
        live.set(name, registration.route);
        writers.set(name, registration);
      } else {
        logger.info(
          "{interface}: removing candidacy of dead process {pid}",
          { interface: name, pid: registration.pid },
        );
        stale.add(name);
        removeQuietly(path);
      }
    }
    return { live, stale, writers };
  }

  // Interfaces that are up with carrier; a default route through any other
  // is dropped or unusable.
  // The links and the main table from one `ip` process: an election sits
  // on the path from a lease to "configured", and each spawn costs.
  async #snapshot(): Promise<Snapshot> {
    // The route listing comes from the builder that makes every other
    // route command, so the table it reads is the one changes go to. Its
    // leading "-4 -j" cannot stand on a batch line; the batch process
    // carries them for both lines.
    const [family, json, ...listing] = routeArgv("list", { table: "main" });
    const argv = ["ip", family!, json!, "-batch", "-"];
    const stdin = `link show\n${listing.join(" ")}\n`;
    const result = await this.#runner.run(argv, { stdin });
    // `ip -j` prints each listing as one line of compact JSON.
    const [links, routes] = result.stdout.split("\n").filter((line) =>
      line.trim() !== ""
    );
    if (result.code !== 0 || links === undefined || routes === undefined) {
      throw new CommandFailedError([...argv, "<<", stdin.trimEnd()], result);
    }
    const usable = new Set(
      parseLinks(links).filter((link) => link.up && link.carrier)
        .map((link) => link.name),
    );
    return { usable, routes: parseRoutes(routes, "main") };
  }

  // One election; must run under the namespace lock. `asking` holds the
  // interfaces whose offers triggered it, each of which gets a result (or
  // the error that ended its candidacy); `leaving` holds those withdrawing,
  // whose route `keepLeaving` keeps when no other candidate can take it.
  async #elect(
    asking: ReadonlySet<string>,
    leaving: ReadonlySet<string> = new Set(),
    keepLeaving = false,
    listed: { snapshot?: Snapshot } = {},
  ): Promise<Map<string, ElectionResult | Error>> {
    const { live, stale, writers } = await this.#registrations();
    const snapshot = listed.snapshot ?? await this.#snapshot();
    const usable = snapshot.usable;
    const defaults = snapshot.routes.filter(isDefaultRoute).sort(byMetric);
    const gone = new Set(stale);
    for (const name of leaving) if (!live.has(name)) gone.add(name);
    const ours = (route: Route): boolean =>
      route.protocol === "dhcp" && route.device !== undefined &&
      (live.has(route.device) || gone.has(route.device));
    const present = defaults.filter((route) =>
      !(ours(route) && gone.has(route.device ?? ""))
    );
    const owner = present[0];
    const eligible = [...live.keys()]
      .filter((name) => usable.has(name))
      .sort(compareInterfaceNames);
    if (leaving.size > 0 && keepLeaving && eligible.length === 0) {
      return new Map();
    }

    // The one rule of default_route_policy.ts, told what only the
    // election knows: whether the owner is one of ours that can no longer
    // hold the route (not an eligible candidate any more), and whether the
    // candidate's own route changed.
    const decide = (name: string, route: Route): DefaultRouteDecision =>
      decideDefaultRoute({
        interface: name,
        optedOut: false,
        candidate: true,
        currentOwner: owner === undefined ? undefined : {
          device: owner.device ?? "",
          protocol: owner.protocol,
          stale: ours(owner) && !eligible.includes(owner.device ?? ""),
        },
        routeChanged: owner?.device === name && !sameRoute(owner, route),
        foreign: this.#foreign,
      });

    // The first candidate in byte order wins; if the kernel refuses its
    // route (a gateway it cannot reach), the next one gets its chance rather
    // than leaving the namespace without a default route.
    let winner: string | undefined;
    let decision: DefaultRouteDecision = {
      action: "skip",
      reason: "no candidate",
    };
    let installed: Route | undefined;
    const failures = new Map<string, Error>();
    for (const name of eligible) {
      const route = live.get(name);
      if (route === undefined) continue;
      decision = decide(name, route);
      winner = name;
      if (decision.action !== "install") break;
      try {
        await this.#ip.apply([{ mode: "replace", route }]);
        installed = route;
        logger.info("{interface}: installed the default route: {reason}", {
          interface: name,
          reason: decision.reason,
        });
        break;
      } catch (error) {
        if (!(error instanceof CommandFailedError)) throw error;
        logger.warn("{interface}: cannot install the default route: {error}", {
          interface: name,
          error,
        });
        if (asking.has(name)) failures.set(name, error);
        winner = undefined;
        decision = { action: "skip", reason: "install failed" };
      }
    }

    // Beyond the route kept, drop our own other default routes and the one
    // taken over from, so exactly one remains. A route at the installed
    // metric was swapped in place by the replace.
    const deletes: RouteChange[] = [];
    for (const route of defaults) {
      if (installed !== undefined) {
        if ((route.metric ?? 0) === (installed.metric ?? 0)) continue;
        if (ours(route) || route === owner) {
          deletes.push({ mode: "delete", route });
        }
      } else if (route !== owner && ours(route)) {
        deletes.push({ mode: "delete", route });
      }
    }
    try {
      await this.#ip.apply(deletes);
    } catch (error) {
      // A device that vanished took its routes with it.
      if (!(error instanceof DeviceNotFoundError)) throw error;
    }

    const previous = this.#owner;
    this.#owner = installed !== undefined ? winner : owner?.device;
    // The process to watch: the owner's, when another process owns the
    // route. Taken at every election, since the owner's interface may now
    // be served by a restarted process.
    this.#ownerWriter = this.#owner === undefined ||
        this.#claims.has(this.#owner)
      ? undefined
      : writers.get(this.#owner);
    if (this.#owner !== previous) {
      this.#onOwnerChange?.(this.#owner, previous);
    }
    this.#updateWatch();
    // A route the kernel refuses would be retried, and fail, at every
    // election: the candidacy ends with the offer's error.
    for (const name of failures.keys()) {
      this.#registered.delete(name);
      removeQuietly(this.#registrationPath(name));
    }
    if (failures.size > 0) this.#updateWatch();

    const results = new Map<string, ElectionResult | Error>(failures);
    for (const name of asking) {
      if (results.has(name)) continue;
      if (name === winner && decision.action !== "skip") {
        results.set(name, decision.action);
        continue;
      }
      logger.info("{interface}: default route is owned by {owner}", {
        interface: name,
        owner: this.#owner ?? "nobody",
      });
      results.set(name, "skip");
    }
    return results;
  }

  // Watches while this process claims an interface or has a candidacy: a
  // non-owner must notice the owner's loss, and an owner alone must notice
  // its link coming back.
  #updateWatch(): void {
    const needed = !this.#closed &&
      (this.#registered.size > 0 || this.#claims.size > 0);
    if (needed && !this.#watching) {
      this.#watching = true;
      this.#watcher.start();
    } else if (!needed && this.#watching) {
      this.#watching = false;
      this.#stopTimers();
      const stopping = this.#watcher.stop();
      this.#background = this.#background.then(() => stopping);
    }
    // Only a process that does not own the route has a dead owner to
    // notice; an owner (the usual case with one process for all
    // interfaces) stays idle. A process watches the owner's through a
    // pidfd, which wakes it only at that process's exit, and asks twice a
    // second only where it cannot: another PID namespace, no pidfd, or an
    // owner it has no candidacy for.
    const mustNotice = needed && this.#registered.size > 0 &&
      !(this.#owner !== undefined && this.#claims.has(this.#owner));
    const writer = mustNotice ? this.#ownerWriter : undefined;
    const namespace = pidNamespace();
    const watched = writer !== undefined && namespace !== null &&
      writer.pidNamespace === String(namespace) &&
      this.#processWatch.watch(writer.pid);
    if (!watched) void this.#processWatch.unwatch();
    const polling = mustNotice && !watched;
    if (polling && this.#timer === undefined) {
      this.#timer = setInterval(
        () => this.#checkStaleCandidates(),
        STALE_CHECK_MS,
      );
    } else if (!polling && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #stopTimers(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#debounce !== undefined) clearTimeout(this.#debounce);
    this.#timer = undefined;
    this.#debounce = undefined;
  }

  #schedule(): void {
    if (this.#closed || this.#registered.size === 0) return;
    if (this.#debounce !== undefined) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      this.#runInBackground();
    }, DEBOUNCE_MS);
  }

  #runInBackground(): void {
    this.#background = this.#background.then(async () => {
      if (this.#closed || this.#registered.size === 0) return;
      try {
        await this.#locked(() => this.#elect(new Set()));
      } catch (error) {
        logger.warn("default route election failed: {error}", { error });
      }
    });
  }

  // Cheap: one no-wait lock attempt per other process's candidacy, usually
  // one or two files. Every one is probed, not only the owner's, because a
  // route replaced by another process may not have been seen yet.
  #checkStaleCandidates(): void {
    if (this.#closed) return;
    this.#background = this.#background.then(async () => {
      if (this.#closed) return;
      try {
        for (const entry of Deno.readDirSync(`${this.#dir}/candidates`)) {
          const name = entry.name.replace(/\.json$/, "");
          if (name === entry.name || this.#claims.has(name)) continue;
          if (!await isLockHeld(interfaceLockPath(this.#dir, name))) {
            this.#runInBackground();
            return;
          }
        }
      } catch (error) {
        logger.warn("cannot check candidacies: {error}", { error });
      }
    });
  }
}
