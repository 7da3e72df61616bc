/**
 * A raw AF_PACKET socket for DHCP on one interface, for the states in which
 * the client has no usable address (INIT, SELECTING, REQUESTING, REBINDING,
 * INIT-REBOOT, REBOOTING).
 *
 * All open packet sockets in a process share one reactor: a single `poll`
 * over every socket plus an eventfd, run on Deno's blocking thread pool so
 * that waiting neither blocks the event loop nor uses CPU, and so that 64
 * interfaces cost one waiting thread, not 64.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { cString, errno, libc, SystemCallError } from "../ffi/libc.ts";
import { type BpfProgram, dhcpFilter } from "./bpf.ts";
import { type PollMember, pollReactor } from "../ffi/poll_reactor.ts";
import {
  type Datagram,
  type DhcpSocket,
  type SendOptions,
  SocketClosedError,
} from "./datagram.ts";
import { buildIpv4Udp, PacketError, parseIpv4Udp } from "./ipv4_udp.ts";

const logger = getLogger(["ocidhcp", "transport"]);

const AF_PACKET = 17;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_ATTACH_FILTER = 26;
const ETH_P_IP = 0x0800;
const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;
const EBADF = 9;
const SOCKADDR_LL_SIZE = 20;
/** Datagrams kept per socket while nobody is receiving; older ones go. */
const QUEUE_LIMIT = 64;
/** Large enough for any IPv4 packet, so nothing is silently truncated. */
const RECEIVE_BUFFER_SIZE = 65536;

/** No interface has the name given to {@linkcode PacketSocket.open}. */
export class InterfaceNotFoundError extends Error {
  /** The interface name that was looked up. */
  readonly interfaceName: string;

  /**
   * Creates the error.
   *
   * @param interfaceName The name that was looked up.
   */
  constructor(interfaceName: string) {
    super(
      `Cannot open packet socket: no interface named "${interfaceName}" ` +
        "in this network namespace",
    );
    this.name = "InterfaceNotFoundError";
    this.interfaceName = interfaceName;
  }
}

/** One receive buffer for all sockets: reads are synchronous. */
const receiveBuffer = new Uint8Array(RECEIVE_BUFFER_SIZE);

function sockaddrLl(
  ifindex: number,
  protocol: number,
): Uint8Array<ArrayBuffer> {
  const address = new Uint8Array(SOCKADDR_LL_SIZE);
  const view = new DataView(address.buffer);
  view.setUint16(0, AF_PACKET, true);
  view.setUint16(2, protocol, false);
  view.setInt32(4, ifindex, true);
  view.setUint8(11, 6); // halen
  address.fill(0xff, 12, 18); // link-layer broadcast
  return address;
}

/**
 * A raw DHCP socket on one interface: it sends IPv4/UDP from port 68 to the
 * link-layer broadcast address and receives IPv4/UDP datagrams addressed to
 * the client port, whatever their IPv4 destination.
 *
 * > [!NOTE]
 * > An open socket keeps the process alive (its poll is pending); close it,
 * > or open it with `await using`.
 *
 * Datagrams are sent from the same UDP port the socket receives on. Up to
 * 64 datagrams are queued while nobody is receiving; older ones are dropped
 * and counted in {@linkcode PacketSocket.droppedCount}.
 *
 * Limitations: socket errors reported by the kernel while waiting (such as
 * ENETDOWN when the link goes down) are logged at debug level and waiting
 * continues; the caller's timeouts decide when to give up. The code assumes
 * a little-endian host (x86-64, arm64), where struct fields in host order
 * are little-endian.
 *
 * @example Broadcast a DHCPDISCOVER and wait for a reply
 * ```ts ignore
 * import { PacketSocket } from "./packet_socket.ts";
 * await using socket = PacketSocket.open("eth0");
 * await socket.send(discover);
 * const reply = await socket.receive();
 * ```
 */
export class PacketSocket implements DhcpSocket, AsyncDisposable {
  #fd: number;
  #interface: string;
  #ifindex: number;
  #port: number;
  // Held for the socket's lifetime; see dhcpFilter.
  #filter: BpfProgram;
  #queue: Datagram[] = [];
  #waiters: {
    resolve: (datagram: Datagram) => void;
    reject: (error: Error) => void;
  }[] = [];
  #dropped = 0;
  #received = 0;
  /** Set when the fd was found closed by someone else. */
  #lost: SystemCallError | undefined;
  #closed: Promise<void> | undefined;
  #member: PollMember;

  private constructor(
    fd: number,
    interfaceName: string,
    ifindex: number,
    port: number,
    filter: BpfProgram,
  ) {
    this.#fd = fd;
    this.#interface = interfaceName;
    this.#ifindex = ifindex;
    this.#port = port;
    this.#filter = filter;
    this.#member = {
      fd,
      onReadable: () => this.#drain(),
      onInvalid: () => this.#invalidate(),
    };
  }

  /**
   * Opens a packet socket on an interface, with the DHCP filter attached
   * before it is bound, so no other traffic is ever queued on it.
   *
   * @param interfaceName The interface, such as "eth0".
   * @param options The UDP port to receive on (68 unless testing).
   * @returns The open socket.
   * @throws {InterfaceNotFoundError} If the interface does not exist.
   * @throws {SystemCallError} If socket, setsockopt or bind fails; EPERM
   * means the process lacks CAP_NET_RAW.
   * @throws {RangeError} If the port is out of range.
   * @throws {Deno.errors.NotCapable} Without `--allow-ffi`.
   */
  static open(
    interfaceName: string,
    options: { port?: number } = {},
  ): PacketSocket {
    const port = options.port ?? 68;
    const filter = dhcpFilter({ port });
    const c = libc();
    const ifindex = c.if_nametoindex(cString(interfaceName));
    if (ifindex === 0) throw new InterfaceNotFoundError(interfaceName);
    // Protocol 0 receives nothing until bind, so the filter is in place
    // before the first packet can be queued.
    const fd = c.socket(
      AF_PACKET,
      SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
      0,
    );
    if (fd < 0) {
      throw new SystemCallError(
        `socket(AF_PACKET) for ${interfaceName}`,
        errno(),
      );
    }
    try {
      if (
        c.setsockopt(
          fd,
          SOL_SOCKET,
          SO_ATTACH_FILTER,
          filter.fprog,
          filter.fprog.length,
        ) !== 0
      ) {
        throw new SystemCallError(
          `setsockopt(SO_ATTACH_FILTER) on ${interfaceName}`,
          errno(),
        );
      }
      const address = sockaddrLl(ifindex, ETH_P_IP);
      if (c.bind(fd, address, address.length) !== 0) {
        throw new SystemCallError(
          `bind(AF_PACKET) to ${interfaceName}`,
          errno(),
        );
      }
    } catch (error) {
      c.close(fd);
      throw error;
    }
    const socket = new PacketSocket(fd, interfaceName, ifindex, port, filter);
    try {
      pollReactor.add(socket.#member);
    } catch (error) {
      c.close(fd);
      throw error;
    }
    logger.debug("{interface}: opened packet socket on port {port}", {
      interface: interfaceName,
      port,
    });
    return socket;
  }

  /** The interface the socket is bound to. */
  get interfaceName(): string {
    return this.#interface;
  }

  /** How many received packets were dropped as malformed or overflowing. */
  get droppedCount(): number {
    return this.#dropped;
  }

  /**
   * How many packets the kernel handed to the socket: with the BPF filter in
   * place, only unfragmented UDP to the client port, whatever else arrives
   * on the interface.
   */
  get receivedCount(): number {
    return this.#received;
  }

  /**
   * Sends a payload as IPv4/UDP from the client port to the link-layer
   * broadcast address.
   *
   * @param payload The UDP payload.
   * @param options The IPv4 source (default "0.0.0.0"), destination
   * (default "255.255.255.255") and UDP destination port (default 67).
   * @returns When the kernel has queued the frame.
   * @throws {SocketClosedError} If the socket is closed.
   * @throws {SystemCallError} If sendto fails, such as ENETDOWN when the
   * link is down.
   * @throws {TypeError} If an address is not a dotted-quad IPv4 address.
   * @throws {RangeError} If the port is out of range or the payload too big.
   */
  send(payload: Uint8Array, options: SendOptions = {}): Promise<void> {
    // Synchronous underneath; Promise.try turns throws into rejections.
    return Promise.try(() => this.#send(payload, options));
  }

  #send(payload: Uint8Array, options: SendOptions): void {
    if (this.#closed) throw this.#closedError();
    if (this.#lost) throw this.#lost;
    const {
      source = "0.0.0.0",
      destination = "255.255.255.255",
      destinationPort = 67,
    } = options;
    const packet = buildIpv4Udp({
      source,
      destination,
      sourcePort: this.#port,
      destinationPort,
      payload,
    });
    const address = sockaddrLl(this.#ifindex, ETH_P_IP);
    const sent = libc().sendto(
      this.#fd,
      packet,
      BigInt(packet.length),
      0,
      address,
      address.length,
    );
    if (Number(sent) < 0) {
      throw new SystemCallError(
        `sendto(AF_PACKET) on ${this.#interface}`,
        errno(),
      );
    }
  }

  /**
   * Waits for the next well-formed IPv4/UDP datagram to the client port.
   *
   * @returns The datagram.
   * @throws {SocketClosedError} If the socket is or gets closed.
   * @throws {SystemCallError} With EBADF if the descriptor was closed by
   * other code behind the socket's back.
   */
  receive(): Promise<Datagram> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#lost) return Promise.reject(this.#lost);
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    const { promise, resolve, reject } = Promise.withResolvers<Datagram>();
    this.#waiters.push({ resolve, reject });
    return promise;
  }

  /**
   * Closes the socket, rejecting pending receives; later calls return the
   * same promise.
   *
   * @returns When the file descriptor is closed.
   */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(this.#closedError());
    }
    this.#queue = [];
    // A lost fd number may already belong to someone else: never close it.
    const removed = this.#lost
      ? Promise.resolve()
      : pollReactor.remove(this.#member);
    this.#closed = removed.then(() => {
      logger.debug("{interface}: closed packet socket", {
        interface: this.#interface,
      });
    });
    return this.#closed;
  }

  /** Closes the socket. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #closedError(): SocketClosedError {
    return new SocketClosedError(`packet socket on ${this.#interface}`);
  }

  #invalidate(): void {
    logger.error("{interface}: packet socket fd {fd} was closed elsewhere", {
      interface: this.#interface,
      fd: this.#fd,
    });
    this.#lost = new SystemCallError(
      `poll(AF_PACKET) on ${this.#interface}`,
      EBADF,
    );
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#lost);
  }

  #drain(): void {
    const buffer = receiveBuffer;
    while (true) {
      const length = Number(
        libc().recvfrom(
          this.#fd,
          buffer,
          BigInt(buffer.length),
          MSG_DONTWAIT,
          null,
          null,
        ),
      );
      if (length < 0) {
        const code = errno();
        if (code !== EAGAIN) {
          // Reading the error clears it, so poll does not spin on it.
          logger.debug("{interface}: packet socket error {error}", {
            interface: this.#interface,
            error: new SystemCallError("recvfrom(AF_PACKET)", code).code,
          });
        }
        return;
      }
      this.#received++;
      this.#accept(buffer.subarray(0, length));
    }
  }

  #accept(packet: Uint8Array): void {
    let datagram: Datagram;
    try {
      datagram = parseIpv4Udp(packet);
    } catch (error) {
      if (!(error instanceof PacketError)) throw error;
      this.#dropped++;
      logger.debug("{interface}: dropped malformed packet: {reason}", {
        interface: this.#interface,
        reason: error.message,
      });
      return;
    }
    if (datagram.destinationPort !== this.#port) return;
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.resolve(datagram);
      return;
    }
    if (this.#queue.length >= QUEUE_LIMIT) {
      this.#queue.shift();
      this.#dropped++;
      logger.debug("{interface}: receive queue full, dropped oldest", {
        interface: this.#interface,
      });
    }
    this.#queue.push(datagram);
  }
}
