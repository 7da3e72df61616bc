/**
 * The DHCPv4 client state machine of RFC 2131 section 4.4, without I/O.
 *
 * The machine is fed events (a start request, a received message, the
 * passing of the deadline it asked for, user requests, link changes) and
 * answers each with actions for a driver to carry out: send a message,
 * apply or remove a lease, log. Time comes from an injected clock and
 * randomness from an injected source, so every transition can be tested
 * with fake time.
 *
 * Limitations: the offered address is not probed with ARP before binding,
 * so the machine never sends DHCPDECLINE itself (the builder exists for a
 * driver that probes); the first valid DHCPOFFER is taken without waiting
 * for others; nothing is persisted, so a driver that wants INIT-REBOOT
 * across restarts passes the last address with "start".
 *
 * @module
 */

import { BOOTREPLY, MessageType, messageTypeName } from "../dhcp/constants.ts";
import type { DhcpMessage } from "../dhcp/message.ts";
import {
  dhcpMessageType,
  message as messageText,
  serverIdentifier,
} from "../dhcp/option_values.ts";
import { isIpv4, unicastProblem } from "../net/ipv4.ts";
import {
  failureDelay,
  renewalRetransmitDelay,
  retransmitDelay,
} from "./backoff.ts";
import {
  type Lease,
  LeaseError,
  leaseExpiresAt,
  leaseFromAck,
  type LeaseResult,
} from "./lease.ts";
import {
  buildDiscover,
  buildRelease,
  buildRequest,
  type ClientIdentity,
} from "./messages.ts";

/** The states of RFC 2131 figure 5, plus RELEASED and STOPPED. */
export type ClientState =
  | "INIT"
  | "SELECTING"
  | "REQUESTING"
  | "BOUND"
  | "RENEWING"
  | "REBINDING"
  | "INIT-REBOOT"
  | "REBOOTING"
  | "RELEASED"
  | "STOPPED";

/** How the client identifies itself and where it runs. */
export interface ClientConfig extends ClientIdentity {
  /** The interface name, for logs and leases. */
  interface: string;
  /**
   * A source of uniform numbers in [0, 1) for jitter and transaction ids.
   * @default {Math.random}
   */
  random?: () => number;
  /**
   * How many DHCPDISCOVERs one acquisition sends before it counts as
   * failed: the machine reports "leasefail", waits in INIT as after any
   * failed exchange, and starts over with a new transaction. 0 keeps
   * retransmitting without ever failing, as RFC 2131 describes.
   *
   * @default {0}
   */
  discoverTries?: number;
  /**
   * The longest wait, in milliseconds before jitter, between
   * retransmissions of DHCPDISCOVER and of DHCPREQUEST while selecting:
   * RFC 2131 doubles the wait from 4 s up to 64 s; a smaller cap notices a
   * network that comes up late sooner, at the price of more broadcasts.
   *
   * @default {64000}
   */
  retransmitCap?: number;
}

/** A monotonic clock. */
export interface Clock {
  /** Returns monotonic milliseconds, such as performance.now(). */
  now(): number;
}

/** What happens to the machine. */
export type ClientEvent =
  /** Begin: INIT-REBOOT with a previous address, INIT without. */
  | { type: "start"; previousAddress?: string }
  /** A DHCP message arrived for this interface. */
  | { type: "receive"; message: DhcpMessage }
  /** The deadline the machine asked for has passed. */
  | { type: "timeout" }
  /** The user asks to renew now, or to acquire now when not bound. */
  | { type: "renew" }
  /** The user asks to release the lease. */
  | { type: "release" }
  /** The interface lost its carrier. */
  | { type: "link-down" }
  /** The interface regained its carrier. */
  | { type: "link-up" }
  /** The client is shutting down. */
  | { type: "stop" };

/** Where to send a message. */
export type Destination = "broadcast" | { unicast: string };

/** What the driver must do. */
export type ClientAction =
  /**
   * Send a message: broadcast from the packet socket, or unicast over UDP
   * from the leased address to the server.
   */
  | { type: "send"; message: DhcpMessage; destination: Destination }
  /**
   * Apply a lease. "bound" and "reboot" need the full configuration;
   * "renew" and "rebind" refresh lifetimes and reconfigure only when
   * sameConfiguration(previous, lease) is false.
   */
  | {
    type: "bind";
    lease: Lease;
    reason: "bound" | "renew" | "rebind" | "reboot";
    previous?: Lease;
  }
  /**
   * Remove a lease's configuration. "expire" is also used when a renewal
   * granted a different address: the old one is no longer leased.
   */
  | {
    type: "deconfigure";
    lease: Lease;
    reason: "expire" | "nak" | "release" | "link-down" | "stop";
  }
  /**
   * A DHCPNAK refused the address asked for in INIT-REBOOT. The machine
   * holds no lease for it, but an earlier run may have left it configured;
   * RFC 2131 section 3.2 says the client must not use it, so the driver
   * removes whatever of it is still there.
   */
  | { type: "refused"; address: string }
  /**
   * An acquisition sent its last DHCPDISCOVER (`discoverTries`) without
   * getting a lease; the machine waits in INIT, then starts over.
   */
  | { type: "leasefail"; tries: number }
  /** Log a message template with its properties (always the interface). */
  | {
    type: "log";
    level: "debug" | "info" | "warning" | "error";
    message: string;
    properties: Record<string, unknown>;
  };

type LogLevel = "debug" | "info" | "warning" | "error";

/** DHCPREQUEST retransmissions while REQUESTING before going back to INIT. */
const REQUEST_RETRANSMISSIONS = 4;
/** DHCPREQUEST transmissions while REBOOTING before falling back to INIT. */
const REBOOT_TRANSMISSIONS = 2;

function hex(xid: number): string {
  return `0x${xid.toString(16).padStart(8, "0")}`;
}

function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

/**
 * The DHCPv4 client state machine (RFC 2131 section 4.4).
 *
 * @example Acquire a lease
 * ```ts ignore
 * const machine = new ClientStateMachine(config, { now: performance.now });
 * for (const action of machine.handle({ type: "start" })) run(action);
 * ```
 */
export class ClientStateMachine {
  #config: ClientConfig;
  #clock: Clock;
  #random: () => number;
  #actions: ClientAction[] = [];
  #state: ClientState = "INIT";
  #started = false;
  #linkUp = true;
  #lease: Lease | undefined;
  #deadline: number | undefined;
  #xid: number | undefined;
  /** When the current exchange began, for secs. */
  #exchangeStart = 0;
  /** Retransmissions of the current message so far. */
  #attempt = 0;
  /** Exchanges that failed in a row, for failureDelay. */
  #failures = 0;
  /** secs of the last DHCPDISCOVER, reused by the DHCPREQUEST after it. */
  #discoverSecs = 0;
  /** The chosen DHCPOFFER while REQUESTING. */
  #offer: { address: string; server: string } | undefined;
  /** When the first DHCPREQUEST of the current exchange was sent. */
  #requestSentAt = 0;
  /** An address to ask for in DHCPDISCOVER (option 50). */
  #hint: string | undefined;
  /** The address to confirm in INIT-REBOOT, and when its lease ends. */
  #reboot: { address: string; expiresAt: number } | undefined;

  /**
   * Creates a machine in INIT, waiting for "start".
   *
   * @param config The interface and the client's identity.
   * @param clock The monotonic clock.
   * @throws {RangeError} If the hardware address is not 6 bytes, the FQDN
   * or a requested option code is invalid, `discoverTries` is not a
   * non-negative integer or `retransmitCap` is under 2 s.
   */
  constructor(config: ClientConfig, clock: Clock) {
    this.#config = config;
    this.#clock = clock;
    this.#random = config.random ?? Math.random;
    // Build one message now so a bad identity fails here, not mid-lease.
    buildDiscover(config, { xid: 0, secs: 0 });
    const tries = config.discoverTries ?? 0;
    if (!Number.isInteger(tries) || tries < 0) {
      throw new RangeError(
        `DHCPDISCOVER tries must be a whole number of at least 0, got ${tries}`,
      );
    }
    retransmitDelay(0, () => 0.5, config.retransmitCap);
  }

  /** The current state. */
  get state(): ClientState {
    return this.#state;
  }

  /** The lease currently applied, if any. */
  get lease(): Lease | undefined {
    return this.#lease;
  }

  /** When to deliver "timeout" (monotonic ms); undefined for never. */
  get deadline(): number | undefined {
    return this.#deadline;
  }

  /** The transaction id of the current exchange, if one is running. */
  get xid(): number | undefined {
    return this.#xid;
  }

  /**
   * Handles one event.
   *
   * @param event What happened.
   * @returns The actions to carry out, in order.
   */
  handle(event: ClientEvent): ClientAction[] {
    this.#actions = [];
    switch (event.type) {
      case "start":
        this.#onStart(event.previousAddress);
        break;
      case "receive":
        this.#onReceive(event.message);
        break;
      case "timeout":
        this.#onTimeout();
        break;
      case "renew":
        this.#onRenew();
        break;
      case "release":
        this.#onRelease();
        break;
      case "link-down":
        this.#onLinkDown();
        break;
      case "link-up":
        this.#onLinkUp();
        break;
      case "stop":
        this.#onStop();
        break;
    }
    const actions = this.#actions;
    this.#actions = [];
    return actions;
  }

  // Events

  #onStart(previousAddress: string | undefined): void {
    const canStart = (this.#state === "INIT" && !this.#started) ||
      this.#state === "RELEASED" || this.#state === "STOPPED";
    if (!canStart) {
      this.#log("debug", "{interface}: ignored start in {state}", {
        state: this.#state,
      });
      return;
    }
    this.#started = true;
    let address = previousAddress ?? this.#lease?.address;
    const left = this.#lease;
    if (left !== undefined) {
      // "stop" leaves a lease applied; take it down before confirming it
      // again, so that a DHCPNAK or a silent network cannot leave it behind.
      this.#actions.push({ type: "deconfigure", lease: left, reason: "stop" });
      this.#lease = undefined;
    }
    if (
      previousAddress === undefined && left !== undefined &&
      this.#now() >= leaseExpiresAt(left)
    ) {
      // Too old to confirm: ask for it again in DHCPDISCOVER instead.
      this.#hint = left.address;
      address = undefined;
    }
    if (address !== undefined && !this.#usableAddress(address)) {
      this.#log(
        "warning",
        "{interface}: ignored unusable previous address {address}",
        { address },
      );
      address = undefined;
    }
    if (address !== undefined) {
      const expiresAt = left?.address === address
        ? leaseExpiresAt(left)
        : Infinity;
      this.#reboot = { address, expiresAt };
      this.#hint = address;
      this.#initReboot();
    } else {
      this.#reboot = undefined;
      this.#init();
    }
  }

  #onTimeout(): void {
    const now = this.#now();
    if (this.#deadline === undefined || now < this.#deadline) {
      this.#log("debug", "{interface}: ignored early timeout in {state}", {
        state: this.#state,
      });
      return;
    }
    switch (this.#state) {
      case "INIT":
        this.#init();
        break;
      case "SELECTING": {
        this.#attempt++;
        const tries = this.#config.discoverTries ?? 0;
        if (tries > 0 && this.#attempt >= tries) {
          this.#log(
            "warning",
            "{interface}: no lease after {tries} DHCPDISCOVERs",
            { tries },
          );
          this.#actions.push({ type: "leasefail", tries });
          this.#fail();
        } else {
          this.#sendDiscover();
        }
        break;
      }
      case "REQUESTING":
        if (this.#attempt >= REQUEST_RETRANSMISSIONS) {
          this.#log(
            "warning",
            "{interface}: no answer from {server} to DHCPREQUEST for " +
              "{address}",
            { server: this.#offer?.server, address: this.#offer?.address },
          );
          this.#fail();
        } else {
          this.#attempt++;
          this.#sendSelectingRequest();
        }
        break;
      case "REBOOTING":
        if (this.#attempt + 1 >= REBOOT_TRANSMISSIONS) {
          this.#log(
            "info",
            "{interface}: no answer to DHCPREQUEST for {address}, " +
              "discovering",
            { address: this.#reboot?.address },
          );
          this.#reboot = undefined;
          this.#init();
        } else {
          this.#attempt++;
          this.#sendRebootRequest();
        }
        break;
      case "BOUND":
      case "RENEWING":
      case "REBINDING":
        this.#onLeaseTimer();
        break;
      default:
        break;
    }
  }

  /** Deadlines while a lease is applied: T1, retries, T2, expiry. */
  #onLeaseTimer(): void {
    const lease = this.#lease;
    if (lease === undefined) return;
    const now = this.#now();
    if (now >= leaseExpiresAt(lease)) {
      this.#expire(lease);
    } else if (now >= lease.acquiredAt + lease.rebindingTime * 1000) {
      if (this.#state === "REBINDING") {
        this.#sendRenewal();
      } else {
        this.#log(
          "warning",
          "{interface}: no answer from {server} to renew {address}, " +
            "rebinding",
          { server: lease.serverIdentifier, address: lease.address },
        );
        this.#beginRenewal("REBINDING");
      }
    } else if (this.#state === "RENEWING") {
      this.#sendRenewal();
    } else {
      this.#log("info", "{interface}: renewing {address} with {server}", {
        address: lease.address,
        server: lease.serverIdentifier,
      });
      this.#beginRenewal("RENEWING");
    }
  }

  #onRenew(): void {
    if (!this.#linkUp) {
      this.#log("debug", "{interface}: ignored renew while link is down", {});
      return;
    }
    switch (this.#state) {
      case "INIT":
      case "RELEASED":
        this.#started = true;
        this.#init();
        break;
      case "BOUND":
        this.#log("info", "{interface}: renewing {address} with {server}", {
          address: this.#lease?.address,
          server: this.#lease?.serverIdentifier,
        });
        this.#beginRenewal("RENEWING");
        break;
      case "RENEWING":
      case "REBINDING":
        this.#sendRenewal();
        break;
      default:
        this.#log("debug", "{interface}: ignored renew in {state}", {
          state: this.#state,
        });
    }
  }

  #onRelease(): void {
    if (this.#state === "STOPPED" || this.#state === "RELEASED") {
      this.#log("debug", "{interface}: ignored release in {state}", {
        state: this.#state,
      });
      return;
    }
    const lease = this.#lease;
    if (lease !== undefined) {
      this.#log("info", "{interface}: releasing {address} to {server}", {
        address: lease.address,
        server: lease.serverIdentifier,
      });
      // RFC 2131 section 4.4.6: unicast to the server, sent while the
      // address is still configured so the UDP socket can use it.
      this.#send(
        buildRelease(this.#config, {
          xid: this.#newXid(),
          clientAddress: lease.address,
          serverIdentifier: lease.serverIdentifier,
        }),
        { unicast: lease.serverIdentifier },
      );
      this.#actions.push({ type: "deconfigure", lease, reason: "release" });
      this.#lease = undefined;
    } else {
      this.#log("info", "{interface}: released, no lease held", {});
    }
    this.#hint = undefined;
    this.#reboot = undefined;
    this.#xid = undefined;
    this.#enter("RELEASED", undefined);
  }

  #onLinkDown(): void {
    if (!this.#linkUp) return;
    this.#linkUp = false;
    this.#xid = undefined;
    const lease = this.#lease;
    switch (this.#state) {
      case "BOUND":
      case "RENEWING":
      case "REBINDING":
        if (lease === undefined) return;
        this.#log("info", "{interface}: link down, removing {address}", {
          address: lease.address,
        });
        this.#actions.push({ type: "deconfigure", lease, reason: "link-down" });
        this.#lease = undefined;
        this.#reboot = {
          address: lease.address,
          expiresAt: leaseExpiresAt(lease),
        };
        this.#enter("INIT-REBOOT", undefined);
        break;
      case "REBOOTING":
        this.#log("info", "{interface}: link down", {});
        this.#enter("INIT-REBOOT", undefined);
        break;
      case "INIT":
      case "SELECTING":
      case "REQUESTING":
        if (!this.#started) return;
        this.#log("info", "{interface}: link down", {});
        this.#enter("INIT", undefined);
        break;
      default:
        break;
    }
  }

  #onLinkUp(): void {
    if (this.#linkUp) {
      this.#log("debug", "{interface}: ignored link up, link was up", {});
      return;
    }
    this.#linkUp = true;
    if (this.#state === "INIT-REBOOT") {
      const reboot = this.#reboot;
      if (reboot !== undefined && this.#now() < reboot.expiresAt) {
        this.#log("info", "{interface}: link up, confirming {address}", {
          address: reboot.address,
        });
        this.#initReboot();
      } else {
        this.#log("info", "{interface}: link up, lease expired", {});
        this.#reboot = undefined;
        this.#init();
      }
    } else if (this.#state === "INIT" && this.#started) {
      this.#log("info", "{interface}: link up", {});
      this.#init();
    }
  }

  #onStop(): void {
    this.#log("info", "{interface}: stopped in {state}", {
      state: this.#state,
    });
    this.#xid = undefined;
    this.#enter("STOPPED", undefined);
  }

  // Receiving

  #onReceive(message: DhcpMessage): void {
    const expecting = this.#state === "SELECTING" ||
      this.#state === "REQUESTING" || this.#state === "REBOOTING" ||
      this.#state === "RENEWING" || this.#state === "REBINDING";
    const xid = hex(message.xid);
    if (!expecting) {
      this.#log("debug", "{interface}: dropped reply xid {xid} in {state}", {
        xid,
        state: this.#state,
      });
      return;
    }
    if (message.op !== BOOTREPLY) {
      this.#drop(xid, `op ${message.op} is not BOOTREPLY`);
      return;
    }
    if (message.xid !== this.#xid) {
      this.#drop(xid, "not our transaction");
      return;
    }
    const mac = this.#config.hardwareAddress;
    if (!mac.every((byte, i) => message.chaddr[i] === byte)) {
      this.#drop(xid, "chaddr is not our hardware address");
      return;
    }
    let type: number | undefined;
    let server: string | undefined;
    try {
      type = dhcpMessageType(message.options);
      server = serverIdentifier(message.options);
    } catch (error) {
      this.#drop(xid, `malformed option: ${String(error)}`);
      return;
    }
    if (type === undefined) {
      this.#drop(xid, "no DHCP message type (a BOOTP reply)");
      return;
    }
    const name = messageTypeName(type);
    switch (this.#state) {
      case "SELECTING":
        if (type !== MessageType.OFFER) break;
        this.#onOffer(message, server, xid);
        return;
      case "REQUESTING":
        if (type !== MessageType.ACK && type !== MessageType.NAK) break;
        if (server !== this.#offer?.server) {
          this.#drop(xid, `${name} from ${server}, not the chosen server`);
          return;
        }
        if (type === MessageType.ACK) this.#onAck(message);
        else this.#onNak(message, server);
        return;
      default:
        if (type !== MessageType.ACK && type !== MessageType.NAK) break;
        if (type === MessageType.ACK) this.#onAck(message);
        else this.#onNak(message, server);
        return;
    }
    this.#drop(xid, `unexpected ${name}`);
  }

  #onOffer(message: DhcpMessage, server: string | undefined, xid: string) {
    if (server === undefined) {
      this.#drop(xid, "DHCPOFFER without server identifier");
      return;
    }
    const problem = unicastProblem(message.yiaddr);
    if (problem !== null) {
      this.#drop(xid, `DHCPOFFER of ${message.yiaddr} (${problem})`);
      return;
    }
    this.#log("debug", "{interface}: offered {address} by {server}", {
      address: message.yiaddr,
      server,
      xid,
    });
    this.#offer = { address: message.yiaddr, server };
    this.#attempt = 0;
    this.#requestSentAt = this.#now();
    this.#enter("REQUESTING", undefined);
    this.#sendSelectingRequest();
  }

  #onAck(message: DhcpMessage): void {
    let result: LeaseResult;
    try {
      result = leaseFromAck(message, {
        interface: this.#config.interface,
        acquiredAt: this.#requestSentAt,
      });
    } catch (error) {
      if (!(error instanceof LeaseError)) throw error;
      this.#log("warning", "{interface}: unusable DHCPACK: {error}", {
        error: error.message,
      });
      // A lease being renewed stays valid; keep trying until it ends.
      if (this.#state === "REQUESTING" || this.#state === "REBOOTING") {
        this.#fail();
      }
      return;
    }
    for (const warning of result.warnings) {
      this.#log("warning", "{interface}: {warning}", { warning });
    }
    const lease = result.lease;
    const previous = this.#lease;
    let reason: "bound" | "renew" | "rebind" | "reboot" = "bound";
    if (this.#state === "REBOOTING") reason = "reboot";
    if (previous !== undefined) {
      if (previous.address === lease.address) {
        reason = this.#state === "RENEWING" ? "renew" : "rebind";
      } else {
        this.#log(
          "info",
          "{interface}: server moved us from {previous} to {address}",
          { previous: previous.address, address: lease.address },
        );
        this.#actions.push({
          type: "deconfigure",
          lease: previous,
          reason: "expire",
        });
      }
    }
    this.#bind(lease, reason, previous);
  }

  #onNak(message: DhcpMessage, server: string | undefined): void {
    let text: string | undefined;
    try {
      text = messageText(message.options);
    } catch {
      text = undefined;
    }
    const address = this.#lease?.address ?? this.#offer?.address ??
      this.#reboot?.address;
    this.#log(
      "warning",
      "{interface}: server {server} refused {address} (DHCPNAK): {reason}",
      { server, address, reason: text ?? "no reason given" },
    );
    this.#hint = undefined;
    if (this.#state === "REBOOTING") {
      // RFC 2131 section 3.2: the remembered address is wrong here, so
      // start over at once.
      const refused = this.#reboot?.address;
      if (refused !== undefined) {
        this.#actions.push({ type: "refused", address: refused });
      }
      this.#reboot = undefined;
      this.#init();
      return;
    }
    const lease = this.#lease;
    if (lease !== undefined) {
      this.#actions.push({ type: "deconfigure", lease, reason: "nak" });
      this.#lease = undefined;
    }
    this.#fail();
  }

  #drop(xid: string, reason: string): void {
    this.#log("debug", "{interface}: dropped reply xid {xid}: {reason}", {
      xid,
      reason,
    });
  }

  // Transitions

  /** INIT: send DHCPDISCOVER now with a new xid, then SELECTING. */
  #init(): void {
    if (!this.#linkUp) {
      this.#enter("INIT", undefined);
      return;
    }
    this.#xid = this.#newXid();
    this.#exchangeStart = this.#now();
    this.#attempt = 0;
    this.#offer = undefined;
    this.#enter("SELECTING", undefined);
    this.#sendDiscover();
  }

  /** INIT-REBOOT: broadcast DHCPREQUEST for the remembered address. */
  #initReboot(): void {
    if (!this.#linkUp) {
      this.#enter("INIT-REBOOT", undefined);
      return;
    }
    this.#xid = this.#newXid();
    this.#exchangeStart = this.#now();
    this.#requestSentAt = this.#exchangeStart;
    this.#attempt = 0;
    this.#enter("REBOOTING", undefined);
    this.#sendRebootRequest();
  }

  /** An exchange failed: wait in INIT, longer after each failure. */
  #fail(): void {
    this.#failures++;
    const delay = failureDelay(this.#failures, this.#random);
    this.#log("info", "{interface}: trying again in {delay} s", {
      delay: seconds(delay),
      failures: this.#failures,
    });
    this.#offer = undefined;
    this.#xid = undefined;
    this.#enter("INIT", this.#now() + delay);
  }

  #bind(
    lease: Lease,
    reason: "bound" | "renew" | "rebind" | "reboot",
    previous: Lease | undefined,
  ): void {
    this.#lease = lease;
    this.#failures = 0;
    this.#hint = lease.address;
    this.#reboot = undefined;
    this.#offer = undefined;
    this.#xid = undefined;
    const t1 = lease.acquiredAt + lease.renewalTime * 1000;
    this.#enter("BOUND", Number.isFinite(t1) ? t1 : undefined);
    this.#log(
      "info",
      "{interface}: leased {address}/{prefix} from {server} for " +
        "{leaseTime} s",
      {
        address: lease.address,
        prefix: lease.prefix,
        server: lease.serverIdentifier,
        leaseTime: lease.leaseTime,
        reason,
      },
    );
    const action: ClientAction = { type: "bind", lease, reason };
    if (previous !== undefined && reason !== "bound") {
      action.previous = previous;
    }
    this.#actions.push(action);
  }

  #expire(lease: Lease): void {
    this.#log("error", "{interface}: lease of {address} expired", {
      address: lease.address,
    });
    this.#actions.push({ type: "deconfigure", lease, reason: "expire" });
    this.#lease = undefined;
    this.#init();
  }

  #beginRenewal(state: "RENEWING" | "REBINDING"): void {
    this.#xid = this.#newXid();
    this.#exchangeStart = this.#now();
    this.#requestSentAt = this.#exchangeStart;
    this.#attempt = 0;
    this.#enter(state, undefined);
    this.#sendRenewal();
  }

  // Sending

  #sendDiscover(): void {
    const xid = this.#xid ?? 0;
    const secs = this.#secs();
    this.#discoverSecs = secs;
    const options: { xid: number; secs: number; requestedAddress?: string } = {
      xid,
      secs,
    };
    if (this.#hint !== undefined) options.requestedAddress = this.#hint;
    const delay = this.#retransmitDelay();
    this.#deadline = this.#now() + delay;
    this.#send(buildDiscover(this.#config, options), "broadcast", delay);
  }

  #sendSelectingRequest(): void {
    const offer = this.#offer;
    if (offer === undefined) return;
    const delay = this.#retransmitDelay();
    this.#deadline = this.#now() + delay;
    // RFC 2131 section 4.4.1: same secs as the DHCPDISCOVER it answers.
    const message = buildRequest(this.#config, {
      kind: "selecting",
      xid: this.#xid ?? 0,
      secs: this.#discoverSecs,
      requestedAddress: offer.address,
      serverIdentifier: offer.server,
    });
    this.#send(message, "broadcast", delay);
  }

  #retransmitDelay(): number {
    return retransmitDelay(
      this.#attempt,
      this.#random,
      this.#config.retransmitCap,
    );
  }

  #sendRebootRequest(): void {
    const reboot = this.#reboot;
    if (reboot === undefined) return;
    // Two tries 2 to 3 s apart: a server that knows us answers at once,
    // and a container should not wait long on a network that moved.
    const delay = 2000 + this.#random() * 1000;
    this.#deadline = this.#now() + delay;
    const message = buildRequest(this.#config, {
      kind: "init-reboot",
      xid: this.#xid ?? 0,
      secs: this.#secs(),
      requestedAddress: reboot.address,
    });
    this.#send(message, "broadcast", delay);
  }

  /** Sends DHCPREQUEST in RENEWING or REBINDING and sets the next try. */
  #sendRenewal(): void {
    const lease = this.#lease;
    if (lease === undefined) return;
    const now = this.#now();
    const renewing = this.#state === "RENEWING";
    const until = renewing
      ? lease.acquiredAt + lease.rebindingTime * 1000
      : leaseExpiresAt(lease);
    // An infinite lease is only renewed on request; retry it at the RFC 2131
    // section 4.4.5 minimum of 60 s rather than never.
    const delay = Number.isFinite(until)
      ? renewalRetransmitDelay(until - now)
      : 60_000;
    this.#deadline = now + delay;
    const message = buildRequest(this.#config, {
      kind: renewing ? "renewing" : "rebinding",
      xid: this.#xid ?? 0,
      secs: this.#secs(),
      clientAddress: lease.address,
    });
    this.#send(
      message,
      renewing ? { unicast: lease.serverIdentifier } : "broadcast",
      delay,
    );
  }

  #send(message: DhcpMessage, destination: Destination, delay?: number) {
    const type = messageTypeName(
      message.options.get(53)?.[0] ?? 0,
    );
    this.#log(
      "debug",
      "{interface}: sending {type} xid {xid} to {destination}" +
        (delay === undefined ? "" : ", next try in {retry} s"),
      {
        type,
        xid: hex(message.xid),
        destination: destination === "broadcast"
          ? "broadcast"
          : destination.unicast,
        ...(delay === undefined ? {} : { retry: seconds(delay) }),
      },
    );
    this.#actions.push({ type: "send", message, destination });
  }

  // Helpers

  #enter(state: ClientState, deadline: number | undefined): void {
    if (state !== this.#state) {
      this.#log("debug", "{interface}: state {from} -> {to}", {
        from: this.#state,
        to: state,
      });
    }
    this.#state = state;
    this.#deadline = deadline;
  }

  #usableAddress(address: string): boolean {
    return isIpv4(address) && unicastProblem(address) === null;
  }

  #newXid(): number {
    return Math.floor(this.#random() * 0x1_0000_0000) >>> 0;
  }

  #secs(): number {
    return Math.min(
      0xffff,
      Math.floor((this.#now() - this.#exchangeStart) / 1000),
    );
  }

  #now(): number {
    return this.#clock.now();
  }

  #log(
    level: LogLevel,
    message: string,
    properties: Record<string, unknown>,
  ): void {
    this.#actions.push({
      type: "log",
      level,
      message,
      properties: { interface: this.#config.interface, ...properties },
    });
  }
}
