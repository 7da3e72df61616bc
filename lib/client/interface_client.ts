/**
 * The DHCP client of one interface: runs the pure state machine against
 * real sockets, timers and iproute2.
 *
 * Everything that happens to the client (a datagram, a timer, a request from
 * the user) becomes an event, and events are handled strictly one at a time:
 * the state machine sees a single ordered stream, and the configuration on
 * the interface is never changed by two handlers at once.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { decodeMessage, encodeMessage } from "../dhcp/message.ts";
import { DecodeError } from "../dhcp/errors.ts";
import { CLIENT_PORT, SERVER_PORT } from "../dhcp/constants.ts";
import {
  type ClientAction,
  type ClientConfig,
  type ClientEvent,
  type ClientState,
  ClientStateMachine,
  type Clock,
} from "./state_machine.ts";
import { type Lease, sameConfiguration } from "./lease.ts";
import type { DhcpSocket } from "../transport/datagram.ts";
import { SocketClosedError } from "../transport/datagram.ts";
import { InterfaceNotFoundError } from "../transport/packet_socket.ts";
import type { CommandRunner } from "../process/command.ts";
import { type LinkInfo, parseHardwareAddress, showLink } from "../ip/link.ts";
import { IpBatchError, runIpBatch } from "../ip/batch.ts";
import { linkUpArgv } from "../ip/address.ts";
import type { LeaseConfigurator } from "./configurator.ts";
import { errorText } from "../log/error_text.ts";

const logger = getLogger(["ocidhcp", "client"]);

/** Opens the sockets a client needs; swapped out in tests. */
export interface SocketFactory {
  /**
   * Opens a raw socket on an interface that may have no address yet.
   *
   * @param interfaceName The interface.
   * @returns The socket.
   */
  openPacket(interfaceName: string): DhcpSocket | Promise<DhcpSocket>;
  /**
   * Opens a UDP socket bound to a leased address, port 68.
   *
   * @param address The leased address.
   * @returns The socket.
   */
  openUdp(address: string): DhcpSocket | Promise<DhcpSocket>;
}

/** Something that happened to a lease, for event streams and hooks. */
export interface LeaseEvent {
  /** What happened. */
  type:
    | "bound"
    | "renewed"
    | "rebound"
    | "rebooted"
    | "expired"
    | "nak"
    | "released"
    | "link-down"
    | "stopped";
  /** The interface. */
  interface: string;
  /** The lease concerned. */
  lease: Lease;
}

/**
 * An acquisition gave up after its last DHCPDISCOVER (the `discoverTries`
 * setting) without a lease; the client waits, then starts over.
 */
export interface LeaseFailEvent {
  /** Always "leasefail", as udhcpc names this hook event. */
  type: "leasefail";
  /** The interface. */
  interface: string;
  /** How many DHCPDISCOVERs went unanswered. */
  tries: number;
}

const HOLDING: ReadonlySet<LeaseEvent["type"]> = new Set<LeaseEvent["type"]>([
  "bound",
  "rebooted",
  "renewed",
  "rebound",
]);

/**
 * Tells whether an interface holds its lease after an event: true after a
 * bind or a renewal, false after expiry, NAK, release or carrier loss, and
 * undefined after "stopped", which leaves the configuration as it was.
 *
 * @param event The event.
 * @returns Whether the event's lease is in place.
 */
export function holdsLease(event: LeaseEvent): boolean | undefined {
  if (event.type === "stopped") return undefined;
  return HOLDING.has(event.type);
}

/** Options for {@linkcode InterfaceClient}. */
export interface InterfaceClientOptions {
  /** What the client sends: host name, client identifier and so on. */
  config?: Omit<ClientConfig, "interface" | "hardwareAddress">;
  /** Runs `ip`. */
  runner: CommandRunner;
  /** Applies and removes leases on the system. */
  configurator: LeaseConfigurator;
  /** Opens sockets. */
  sockets: SocketFactory;
  /** Monotonic milliseconds; `performance.now()` by default. */
  clock?: Clock;
  /** The interface as already listed, saving a lookup at start. */
  link?: LinkInfo | undefined;
  /**
   * The lease an earlier run left on the interface (stopped without
   * release), rebuilt from its record: its address is asked for again with
   * INIT-REBOOT, and what it installed is removed if the server refuses it
   * or grants another address.
   */
  previousLease?: Lease | undefined;
  /** Called after each lease change has been applied. */
  onEvent?: (event: LeaseEvent | LeaseFailEvent) => void;
  /** Called after an event moved the client to another state. */
  onStateChange?: (client: InterfaceClient) => void;
}

// States that need the raw socket. RENEWING is among them although its
// REQUEST is unicast: a server answers a refusal with a broadcast DHCPNAK
// (RFC 2131 4.3.2), which a UDP socket bound to the leased address never
// sees.
const RAW: ReadonlySet<ClientState> = new Set<ClientState>([
  "INIT",
  "SELECTING",
  "REQUESTING",
  "INIT-REBOOT",
  "REBOOTING",
  "RENEWING",
  "REBINDING",
]);

const UNICAST: ReadonlySet<ClientState> = new Set<ClientState>([
  "RENEWING",
  "REBINDING",
]);

// After a failed apply or removal (an `ip` error), try again after this
// long, so that a transient failure does not leave a lease half applied, or
// a released or expired address in use.
const APPLY_RETRY_MS = 2_000;

/**
 * Runs DHCP on one interface until stopped.
 *
 * A lease whose apply or removal fails (an `ip` error) is logged and tried
 * again every 2 s until it goes through, another lease replaces it, or the
 * client stops.
 *
 * Limitations: a removal failing during {@linkcode InterfaceClient.stop}
 * (a release at exit) is logged, not retried; the address stays until its
 * kernel lifetime runs out.
 *
 * @example Acquire a lease on eth0
 * ```ts ignore
 * const client = new InterfaceClient("eth0", options);
 * await client.start();
 * const lease = await client.bound;
 * ```
 */
export class InterfaceClient {
  /** The interface name. */
  readonly interface: string;
  #options: InterfaceClientOptions;
  #clock: Clock;
  #machine: ClientStateMachine | undefined;
  #queue: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #applyTimer: ReturnType<typeof setTimeout> | undefined;
  // Failed applies of the lease now being applied, so that the one that
  // succeeds after them says so: the error lines alone leave it unknown
  // whether the lease was ever put in place.
  #applyFailures = 0;
  // A lease whose removal failed, with its failed attempts: its address may
  // still be on the interface although the server may now give it to
  // another host, so the removal is retried until it succeeds or a new
  // lease is applied over it.
  #unremoved: { lease: Lease; failures: number } | undefined;
  #packet: DhcpSocket | undefined;
  #udp: { socket: DhcpSocket; address: string } | undefined;
  #stopped = false;
  // Set when stop() begins: a removal failing from then on (a release at
  // exit) is not retried, since the process is about to end.
  #stopping = false;
  #applied: Lease | undefined;
  // The earlier run's lease while its address and routes are still on the
  // interface and no lease of this run has replaced them.
  #inherited: Lease | undefined;
  // Settles once the earlier run's lease has been checked for adoption.
  #adopting: Promise<void> | undefined;
  // The lease removed at the last carrier loss: a rename right after it
  // leaves its address on the renamed link.
  #lostWithLink: Lease | undefined;
  #boundResolvers: Array<(lease: Lease) => void> = [];

  /**
   * Creates an InterfaceClient.
   *
   * @param interfaceName The interface to run on.
   * @param options Collaborators and settings.
   */
  constructor(interfaceName: string, options: InterfaceClientOptions) {
    this.interface = interfaceName;
    this.#options = options;
    this.#clock = options.clock ?? { now: () => performance.now() };
  }

  /** The state machine's state, or "INIT" before start. */
  get state(): ClientState {
    return this.#machine?.state ?? "INIT";
  }

  /** The current lease, if bound (or renewing or rebinding). */
  get lease(): Lease | undefined {
    return this.#machine?.lease;
  }

  /** When the next timer fires, in the clock's milliseconds. */
  get deadline(): number | undefined {
    return this.#machine?.deadline;
  }

  /**
   * Resolves with the next lease this client applies (or the current one).
   *
   * @returns The lease.
   */
  waitBound(): Promise<Lease> {
    if (this.#applied !== undefined) return Promise.resolve(this.#applied);
    return new Promise((resolve) => this.#boundResolvers.push(resolve));
  }

  /**
   * Reads the interface's hardware address and starts acquiring: the first
   * DISCOVER (or INIT-REBOOT REQUEST) goes out at once.
   *
   * @returns When the first message has been handed to the kernel.
   * @throws {DeviceNotFoundError} If the interface does not exist.
   */
  async start(): Promise<void> {
    const link = this.#options.link ??
      await showLink(this.#options.runner, this.interface);
    if (!link.up) {
      // A container's interfaces often start down; nothing can be sent on
      // a down link (ENETDOWN), so bring it up as udhcpc and dhcpcd do.
      await runIpBatch(this.#options.runner, [{
        argv: linkUpArgv(this.interface),
      }]);
    }
    this.#machine = new ClientStateMachine({
      ...this.#options.config,
      interface: this.interface,
      hardwareAddress: parseHardwareAddress(link.hardwareAddress),
    }, this.#clock);
    const previous = this.#options.previousLease;
    if (previous === undefined) {
      await this.#dispatch({ type: "start" });
      return;
    }
    // The INIT-REBOOT REQUEST goes out first; what the earlier run left is
    // looked up while the server answers, and before the answer is applied.
    const sent = this.#dispatch({
      type: "start",
      previousAddress: previous.address,
    });
    this.#adopting = sent.catch(() => {}).then(() => this.#adopt(previous));
    await sent;
  }

  /**
   * Renews now (BOUND), or restarts acquisition at once when waiting.
   *
   * @returns When the request has been handled.
   */
  renew(): Promise<void> {
    return this.#dispatch({ type: "renew" });
  }

  /**
   * Reports a carrier change: losing it removes the configuration (the
   * kernel has already dropped the routes of a downed link), regaining it
   * confirms the old address with INIT-REBOOT.
   *
   * @param usable Whether the link is up with carrier.
   * @returns When the change has been handled.
   */
  linkChanged(usable: boolean): Promise<void> {
    return this.#dispatch({ type: usable ? "link-up" : "link-down" });
  }

  /**
   * Reports that the interface was renamed. The managed name is gone, as
   * after a removal, but the kernel keeps the link, with the lease's address
   * and routes, under the new name: they are removed from there, then the
   * lease is given up as on carrier loss, so the default route goes to the
   * next candidate. An interface that takes up the managed name again is
   * served once it has carrier, as after a removal.
   *
   * @param newName The link's new name.
   * @returns When the change has been handled.
   */
  async linkRenamed(newName: string): Promise<void> {
    await this.#enqueue(async () => {
      const lease = this.#applied ?? this.#lostWithLink;
      this.#lostWithLink = undefined;
      if (lease === undefined || this.#stopped) return;
      try {
        await this.#options.configurator.removeFrom(lease, newName);
      } catch (error) {
        logger.error(
          "{interface}: removing the lease from {device} failed: " +
            "{error}",
          {
            interface: this.interface,
            device: newName,
            error: errorText(error),
          },
        );
      }
    });
    await this.linkChanged(false);
  }

  /**
   * Sends DHCPRELEASE and removes the configuration.
   *
   * @returns When the lease has been released and removed.
   */
  release(): Promise<void> {
    return this.#dispatch({ type: "release" });
  }

  /**
   * Stops the client, closing its sockets and timers.
   *
   * @param options `release: true` releases the lease first; otherwise the
   * address stays (with its kernel lifetime) for the next start to adopt.
   * @returns When everything is closed.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    this.#stopping = true;
    if (options.release && this.#machine?.lease !== undefined) {
      await this.release();
    }
    await this.#dispatch({ type: "stop" });
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#applyTimer);
    await this.#queue;
    await this.#closePacket();
    await this.#closeUdp();
  }

  #dispatch(event: ClientEvent): Promise<void> {
    return this.#enqueue(async () => {
      const machine = this.#machine;
      if (machine === undefined || this.#stopped) return;
      const before = machine.state;
      const actions = machine.handle(event);
      if (event.type === "link-down") {
        // The interface may be gone, and a new one of the same name would
        // have another index: sockets are opened afresh when it returns.
        await this.#closePacket();
        await this.#closeUdp();
      }
      await this.#openSockets();
      for (const action of actions) await this.#perform(action);
      this.#schedule();
      // Closing a packet socket waits for the kernel (synchronize_net, 8 to
      // 16 ms), so it happens after the lease is applied, not before.
      await this.#closeUnneededSockets();
      if (machine.state !== before) this.#options.onStateChange?.(this);
    });
  }

  // Runs a task after every one queued before it, so that no two change
  // the interface's configuration at once.
  #enqueue(run: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(run, run);
    this.#queue = next.catch((error) => {
      logger.error("{interface}: {error}", {
        interface: this.interface,
        error: errorText(error),
      });
    });
    return this.#queue;
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const deadline = this.#machine?.deadline;
    if (deadline === undefined || this.#stopped) return;
    const delay = Math.max(0, deadline - this.#clock.now());
    // setTimeout's limit is 2^31 - 1 ms (about 24.8 days); longer waits are
    // split and re-checked, since the machine only acts once the deadline
    // has passed.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const due = this.#machine?.deadline;
      if (due !== undefined && due <= this.#clock.now() + 1) {
        void this.#dispatch({ type: "timeout" });
      } else {
        this.#schedule();
      }
    }, Math.min(delay, 0x7fffffff));
  }

  async #openSockets(): Promise<void> {
    if (this.#stopped) return;
    const state = this.state;
    if (RAW.has(state) && this.#packet === undefined) {
      let socket: DhcpSocket;
      try {
        socket = await this.#options.sockets.openPacket(this.interface);
      } catch (error) {
        if (!(error instanceof InterfaceNotFoundError)) throw error;
        // Removed under us; the link monitor reports its return.
        logger.warning("{interface}: interface is gone, waiting for it", {
          interface: this.interface,
        });
        return;
      }
      this.#packet = socket;
      this.#receiveLoop(socket);
    }
    const address = this.#machine?.lease?.address;
    if (
      UNICAST.has(state) && address !== undefined &&
      this.#udp?.address !== address
    ) {
      await this.#closeUdp();
      const socket = await this.#options.sockets.openUdp(address);
      this.#udp = { socket, address };
      this.#receiveLoop(socket);
    }
  }

  async #closeUnneededSockets(): Promise<void> {
    const state = this.state;
    // Once BOUND the raw socket is closed: it costs a poll slot and would
    // see every DHCP reply on the link.
    if (!RAW.has(state) || this.#stopped) await this.#closePacket();
    if (!UNICAST.has(state) || this.#stopped) await this.#closeUdp();
  }

  async #closePacket(): Promise<void> {
    const socket = this.#packet;
    this.#packet = undefined;
    await socket?.close();
  }

  async #closeUdp(): Promise<void> {
    const udp = this.#udp;
    this.#udp = undefined;
    await udp?.socket.close();
  }

  #receiveLoop(socket: DhcpSocket): void {
    const loop = async () => {
      while (true) {
        let payload: Uint8Array;
        try {
          payload = (await socket.receive()).payload;
        } catch (error) {
          if (error instanceof SocketClosedError) return;
          throw error;
        }
        try {
          const message = decodeMessage(payload);
          void this.#dispatch({ type: "receive", message });
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
          logger.debug("{interface}: dropped malformed message: {reason}", {
            interface: this.interface,
            reason: error.message,
          });
        }
      }
    };
    loop().catch((error) => {
      logger.error("{interface}: receiving failed: {error}", {
        interface: this.interface,
        error: errorText(error),
      });
    });
  }

  async #adopt(lease: Lease): Promise<void> {
    try {
      if (await this.#options.configurator.adopt(lease)) {
        this.#inherited = lease;
      }
    } catch (error) {
      // Not fatal: the address is still asked for, and its kernel lifetime
      // removes it if another one is granted.
      logger.warning(
        "{interface}: cannot check the address left by the last run: " +
          "{error}",
        {
          interface: this.interface,
          error: errorText(error),
        },
      );
    }
  }

  async #perform(action: ClientAction): Promise<void> {
    switch (action.type) {
      case "log":
        logger[action.level](action.message, action.properties);
        return;
      case "send":
        return await this.#send(action);
      case "bind":
        return await this.#bind(action.lease, action.reason, action.previous);
      case "deconfigure":
        return await this.#deconfigure(action.lease, action.reason);
      case "refused":
        return await this.#refused(action.address);
      case "leasefail":
        this.#options.onEvent?.({
          type: "leasefail",
          interface: this.interface,
          tries: action.tries,
        });
        return;
    }
  }

  async #send(action: Extract<ClientAction, { type: "send" }>): Promise<void> {
    const payload = encodeMessage(action.message);
    try {
      if (action.destination === "broadcast") {
        const socket = this.#packet ??
          await this.#options.sockets.openPacket(this.interface);
        this.#packet ??= socket;
        // In REBINDING the client owns its address and says so in the
        // IPv4 header (RFC 2131 4.4.5); before that it has none.
        const source = this.state === "REBINDING"
          ? this.#machine?.lease?.address ?? "0.0.0.0"
          : "0.0.0.0";
        await socket.send(payload, {
          source,
          destination: "255.255.255.255",
          destinationPort: SERVER_PORT,
        });
      } else {
        await this.#sendUnicast(payload, action.destination.unicast);
      }
    } catch (error) {
      // A lost datagram is what retransmission is for; the link may be down.
      logger.warning("{interface}: sending failed: {error}", {
        interface: this.interface,
        error: errorText(error),
      });
    }
  }

  async #sendUnicast(payload: Uint8Array, server: string): Promise<void> {
    if (this.#udp !== undefined) {
      await this.#udp.socket.send(payload, {
        destination: server,
        destinationPort: SERVER_PORT,
      });
      return;
    }
    // RELEASE goes out from BOUND, where no socket is kept open.
    const address = this.#applied?.address ?? this.#machine?.lease?.address;
    if (address === undefined) return;
    const socket = await this.#options.sockets.openUdp(address);
    try {
      await socket.send(payload, {
        destination: server,
        destinationPort: SERVER_PORT,
      });
    } finally {
      await socket.close();
    }
  }

  async #bind(
    lease: Lease,
    reason: "bound" | "renew" | "rebind" | "reboot",
    previous: Lease | undefined,
  ): Promise<void> {
    clearTimeout(this.#applyTimer);
    await this.#adopting;
    const refreshOnly = (reason === "renew" || reason === "rebind") &&
      previous !== undefined && sameConfiguration(previous, lease) &&
      this.#applied !== undefined;
    try {
      if (refreshOnly) {
        await this.#options.configurator.refresh(lease);
      } else {
        // A lease of the earlier run still in place is replaced like one
        // of this run, so its address goes if the new one differs.
        await this.#options.configurator.apply(
          lease,
          this.#applied ?? this.#inherited ?? this.#unremoved?.lease,
        );
      }
      this.#applied = lease;
      this.#inherited = undefined;
      this.#unremoved = undefined;
      this.#lostWithLink = undefined;
    } catch (error) {
      this.#applyFailures++;
      logger.error(
        "{interface}: applying the lease failed, retrying in {seconds} s: " +
          "{error}",
        {
          interface: this.interface,
          seconds: APPLY_RETRY_MS / 1000,
          error: errorText(error),
        },
      );
      this.#applyTimer = setTimeout(() => {
        void this.#queue.then(() => {
          const current = this.#machine?.lease;
          if (current === lease && !this.#stopped) {
            return this.#bind(lease, "bound", previous);
          }
        });
      }, APPLY_RETRY_MS);
      return;
    }
    if (this.#applyFailures > 0) {
      logger.info(
        "{interface}: applied the lease after {failures} failed " +
          "attempts",
        {
          interface: this.interface,
          failures: this.#applyFailures,
        },
      );
      this.#applyFailures = 0;
    }
    const type = ({
      bound: "bound",
      reboot: "rebooted",
      renew: "renewed",
      rebind: "rebound",
    } as const)[reason];
    this.#options.onEvent?.({ type, interface: this.interface, lease });
    const resolvers = this.#boundResolvers;
    this.#boundResolvers = [];
    for (const resolve of resolvers) resolve(lease);
  }

  // RFC 2131 section 3.2: after a DHCPNAK in INIT-REBOOT the address must
  // not be used, so what the earlier run left of it goes now.
  async #refused(address: string): Promise<void> {
    await this.#adopting;
    const inherited = this.#inherited;
    if (inherited === undefined || inherited.address !== address) return;
    this.#inherited = undefined;
    try {
      await this.#options.configurator.remove(inherited);
    } catch (error) {
      logger.error("{interface}: removing the refused lease failed: {error}", {
        interface: this.interface,
        error: errorText(error),
      });
    }
    this.#options.onEvent?.({
      type: "nak",
      interface: this.interface,
      lease: inherited,
    });
  }

  async #deconfigure(
    lease: Lease,
    reason: "expire" | "nak" | "release" | "link-down" | "stop",
  ): Promise<void> {
    clearTimeout(this.#applyTimer);
    this.#applyFailures = 0;
    if (reason === "stop") {
      // Left in place for the next start to adopt; the kernel lifetime
      // removes the address if nobody does.
      await this.#options.configurator.abandon(lease);
    } else {
      this.#unremoved = { lease, failures: 0 };
      await this.#remove(lease);
    }
    this.#applied = undefined;
    this.#lostWithLink = reason === "link-down" ? lease : undefined;
    const type = ({
      expire: "expired",
      nak: "nak",
      release: "released",
      "link-down": "link-down",
      stop: "stopped",
    } as const)[reason];
    this.#options.onEvent?.({ type, interface: this.interface, lease });
  }

  // Removes a lease that stopped being held; on failure the removal is
  // retried, for as long as no other lease has been applied over it.
  async #remove(lease: Lease): Promise<void> {
    const pending = this.#unremoved;
    if (pending?.lease !== lease || this.#stopped) return;
    try {
      await this.#options.configurator.remove(lease);
    } catch (error) {
      const message = errorText(error);
      // A removed interface took the lease's address and routes with it.
      const gone = error instanceof IpBatchError &&
        error.missingDevice === this.interface;
      if (this.#stopping || gone) {
        this.#unremoved = undefined;
        logger.error("{interface}: removing the lease failed: {error}", {
          interface: this.interface,
          error: message,
        });
        return;
      }
      pending.failures++;
      logger.error(
        "{interface}: removing the lease failed, retrying in {seconds} s: " +
          "{error}",
        {
          interface: this.interface,
          seconds: APPLY_RETRY_MS / 1000,
          error: message,
        },
      );
      this.#applyTimer = setTimeout(() => {
        void this.#enqueue(() => this.#remove(lease));
      }, APPLY_RETRY_MS);
      return;
    }
    this.#unremoved = undefined;
    if (pending.failures > 0) {
      logger.info(
        "{interface}: removed the lease after {failures} failed attempts",
        { interface: this.interface, failures: pending.failures },
      );
    }
  }
}

/** The UDP port a client listens on; re-exported for socket factories. */
export { CLIENT_PORT };
