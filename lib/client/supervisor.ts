/**
 * Several interfaces served by one process: one client each, one
 * default-route arbiter shared by all.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { type CommandRunner, DenoCommandRunner } from "../process/command.ts";
import { DefaultRouteArbiter } from "../route/arbiter.ts";
import { ensureRuntimeDir, runtimeDir } from "../route/runtime_dir.ts";
import type { ForeignPolicy } from "../route/default_route_policy.ts";
import { PacketSocket } from "../transport/packet_socket.ts";
import { UdpSocket } from "../transport/udp_socket.ts";
import { IpConfigurator } from "./configurator.ts";
import { LinkMonitor } from "../ip/link_monitor.ts";
import { IpMonitor } from "../ip/monitor.ts";
import { readLinks } from "../net/link_ioctl.ts";
import type { LinkInfo } from "../ip/link.ts";
import {
  InterfaceClient,
  type LeaseEvent,
  type LeaseFailEvent,
  type SocketFactory,
} from "./interface_client.ts";
import type { ClientConfig } from "./state_machine.ts";
import type { Lease } from "./lease.ts";

const logger = getLogger(["ocidhcp", "client"]);
// Long past the moment `ip monitor` subscribes, a few milliseconds after
// its spawn.
const LINK_RECHECK_MS = 250;

/** The default route changed hands. */
export interface DefaultRouteEvent {
  /** Always "default-route". */
  type: "default-route";
  /** The interface that owns it now, if any. */
  owner: string | undefined;
  /** The interface that owned it before, if any. */
  previous: string | undefined;
}

/** Options for {@linkcode Supervisor.start}. */
export interface SupervisorOptions {
  /** The interfaces to run DHCP on. */
  interfaces: readonly string[];
  /** What the clients send: host name, client identifier and so on. */
  config?: Omit<ClientConfig, "interface" | "hardwareAddress">;
  /** Runs `ip`; the real one by default. */
  runner?: CommandRunner;
  /**
   * Where the locks and default-route candidacies of this network
   * namespace live.
   *
   * @default {"/run/ocidhcp/net-<namespace inode>"}
   */
  runtimeDir?: string;
  /** Interfaces that must never install a default route. */
  noDefaultRoute?: readonly string[];
  /**
   * What to do with a default route another program installed: "compete"
   * treats its device like any candidate, "respect" never replaces it.
   *
   * @default {"compete"}
   */
  foreign?: ForeignPolicy;
  /**
   * Leases an earlier run left in place, per interface: their addresses are
   * asked for with INIT-REBOOT.
   */
  previousLeases?: ReadonlyMap<string, Lease>;
  /** Opens sockets; raw and UDP sockets by default. */
  sockets?: SocketFactory;
  /** Called for each lease change and default-route change. */
  onEvent?: (event: LeaseEvent | LeaseFailEvent | DefaultRouteEvent) => void;
  /** Called when a client moves to another state. */
  onStateChange?: (client: InterfaceClient) => void;
}

const realSockets: SocketFactory = {
  openPacket: (name) => PacketSocket.open(name),
  openUdp: (address) => UdpSocket.open(address),
};

/** Runs and stops the clients of several interfaces together. */
export class Supervisor {
  /** The clients, by interface name. */
  readonly clients: ReadonlyMap<string, InterfaceClient>;
  #arbiter: DefaultRouteArbiter;
  #links: LinkMonitor;
  #recheck: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    clients: Map<string, InterfaceClient>,
    arbiter: DefaultRouteArbiter,
    links: LinkMonitor,
  ) {
    this.clients = clients;
    this.#arbiter = arbiter;
    this.#links = links;
  }

  /**
   * Claims the interfaces, then starts a client on each, all at once.
   *
   * @param options The interfaces and settings.
   * @returns The running supervisor.
   * @throws {InterfaceBusyError} If another process manages an interface.
   * @throws {DeviceNotFoundError} If an interface does not exist.
   */
  static async start(options: SupervisorOptions): Promise<Supervisor> {
    const runner = options.runner ?? new DenoCommandRunner();
    const dir = options.runtimeDir ?? runtimeDir();
    ensureRuntimeDir(dir);
    let arbiter: DefaultRouteArbiter | undefined;
    let links: LinkMonitor | undefined;
    let listed = new Map<string, LinkInfo>();
    const clients = new Map<string, InterfaceClient>();
    // One `ip monitor` child serves the arbiter and the carrier watch.
    const monitor = new IpMonitor();
    try {
      arbiter = await DefaultRouteArbiter.open({
        runner,
        monitor,
        runtimeDir: dir,
        foreign: options.foreign ?? "compete",
        onOwnerChange: (owner, previous) => {
          options.onEvent?.({ type: "default-route", owner, previous });
        },
      });
      // Claimed before anything is sent: a second client on the same
      // interface fails here, naming the first, instead of fighting it.
      for (const name of options.interfaces) await arbiter.claim(name);
      // Read by ioctl, with no process on the way to the first DISCOVER.
      // An interface missing here is looked up with `ip` by its client,
      // which reports it.
      listed = readLinks(options.interfaces);
      const configurator = new IpConfigurator({
        runner,
        coordinator: arbiter,
        noDefaultRoute: new Set(options.noDefaultRoute ?? []),
      });
      for (const name of options.interfaces) {
        clients.set(
          name,
          new InterfaceClient(name, {
            runner,
            configurator,
            sockets: options.sockets ?? realSockets,
            previousLease: options.previousLeases?.get(name),
            link: listed.get(name),
            ...(options.config ? { config: options.config } : {}),
            ...(options.onEvent ? { onEvent: options.onEvent } : {}),
            ...(options.onStateChange
              ? { onStateChange: options.onStateChange }
              : {}),
          }),
        );
      }
      // The first messages go out before anything else is spawned: `ip
      // monitor` is the run's first process, and Deno's first spawn costs
      // milliseconds that the servers' answers now hide.
      await Promise.all([...clients.values()].map((client) => client.start()));
      // Every interface is taken as usable since start() brought it up.
      // The index tells a rename (same index, new name) from a removal.
      links = new LinkMonitor(
        new Map(options.interfaces.map((name) => [name, {
          usable: true,
          index: listed.get(name)?.index,
        }])),
        (change) => {
          const client = clients.get(change.name);
          if (client === undefined) return;
          if (change.renamedTo === undefined) {
            void client.linkChanged(change.usable);
            return;
          }
          logger.warning(
            "{interface}: renamed to {newName}; no longer managed",
            { interface: change.name, newName: change.renamedTo },
          );
          void client.linkRenamed(change.renamedTo);
        },
        monitor,
      );
      arbiter.watch();
    } catch (error) {
      await links?.close();
      await Promise.allSettled([...clients.values()].map((c) => c.stop()));
      await arbiter?.close();
      throw error;
    }
    logger.debug("started on {interfaces}", {
      interfaces: options.interfaces.join(", "),
    });
    const supervisor = new Supervisor(clients, arbiter, links);
    // The links were read before `ip monitor` listened, and a carrier change
    // in between would go unseen: they are read again once it surely does.
    const watched = links;
    supervisor.#recheck = setTimeout(() => {
      supervisor.#recheck = undefined;
      try {
        const now = readLinks(options.interfaces);
        for (const name of options.interfaces) {
          const link = now.get(name);
          const index = link?.index ?? listed.get(name)?.index;
          if (index === undefined) continue;
          watched.observe({
            name,
            index,
            usable: link !== undefined && link.up && link.carrier,
            deleted: link === undefined,
          });
        }
      } catch (error) {
        logger.warning("cannot read the links again: {error}", { error });
      }
    }, LINK_RECHECK_MS);
    return supervisor;
  }

  /**
   * Resolves once every interface has applied a lease.
   *
   * @returns The leases, by interface.
   */
  async waitAllBound(): Promise<Map<string, Lease>> {
    const entries = await Promise.all(
      [...this.clients].map(async ([name, client]) =>
        [name, await client.waitBound()] as const
      ),
    );
    return new Map(entries);
  }

  /**
   * Renews leases now (or restarts acquisition where there is none).
   *
   * @param names The interfaces; all of them when omitted.
   * @returns When every client concerned has handled the request.
   */
  async renew(names?: readonly string[]): Promise<void> {
    await Promise.all(this.#select(names).map((client) => client.renew()));
  }

  /**
   * Releases leases and removes their configuration.
   *
   * @param names The interfaces; all of them when omitted.
   * @returns When every lease concerned is released and removed.
   */
  async release(names?: readonly string[]): Promise<void> {
    await Promise.all(this.#select(names).map((client) => client.release()));
  }

  #select(names: readonly string[] | undefined): InterfaceClient[] {
    if (names === undefined) return [...this.clients.values()];
    return names.flatMap((name) => this.clients.get(name) ?? []);
  }

  /**
   * Stops every client and releases the interface claims.
   *
   * @param options `release: true` sends DHCPRELEASE for each lease first.
   * `handOver` (default true) gives the default route, if this process owns
   * it, to the next live candidate of another process; false leaves it in
   * place, as a one-shot run must.
   * @returns When everything is closed.
   */
  async stop(
    options: { release?: boolean; handOver?: boolean } = {},
  ): Promise<void> {
    clearTimeout(this.#recheck);
    await this.#links.close();
    await Promise.allSettled(
      [...this.clients.values()].map((client) =>
        client.stop({ release: options.release ?? false })
      ),
    );
    await this.#arbiter.close({ handOver: options.handOver ?? true });
  }
}
