/**
 * A UDP socket bound to the leased address, for the unicast messages of a
 * bound client: DHCPREQUEST while RENEWING (RFC 2131, section 4.4.5) and
 * DHCPRELEASE. The kernel's UDP stack builds the headers and routes the
 * datagram, so no raw socket is needed once an address is configured.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { isIpv4 } from "../net/ipv4.ts";
import {
  type Datagram,
  type DhcpSocket,
  type SendOptions,
  SocketClosedError,
} from "./datagram.ts";
import { errorText } from "../log/error_text.ts";

const logger = getLogger(["ocidhcp", "transport"]);

/**
 * A DHCP socket over `Deno.listenDatagram`, bound to one local address and
 * the client port. Requires `--unstable-net`.
 *
 * Limitations: it cannot bind to a device, so it sees datagrams for its
 * address and port arriving on any interface; it cannot send broadcasts
 * from an address-less interface (use `PacketSocket` for that). Concurrent
 * `receive()` calls are served one after another, in call order.
 *
 * @example Renew a lease by unicast
 * ```ts ignore
 * import { UdpSocket } from "./udp_socket.ts";
 * await using socket = UdpSocket.open("192.0.2.120");
 * await socket.send(request, { destination: "192.0.2.1" });
 * const reply = await socket.receive();
 * ```
 */
export class UdpSocket implements DhcpSocket, AsyncDisposable {
  #connection: Deno.DatagramConn;
  #address: string;
  #port: number;
  /** Receives run one at a time; Deno allows one pending read. */
  #tail: Promise<unknown> = Promise.resolve();
  #closed: Promise<void> | undefined;

  private constructor(
    connection: Deno.DatagramConn,
    address: string,
    port: number,
  ) {
    this.#connection = connection;
    this.#address = address;
    this.#port = port;
  }

  /**
   * Binds a UDP socket to a local address and the client port.
   *
   * @param address The leased IPv4 address to bind.
   * @param options The local port (68 unless testing).
   * @returns The open socket.
   * @throws {TypeError} If the address is not a dotted-quad IPv4 address.
   * @throws {RangeError} If the port is out of range.
   * @throws {Error} If binding fails, such as when the address is not
   * configured or the port is in use; the Deno error is the cause.
   */
  static open(address: string, options: { port?: number } = {}): UdpSocket {
    const port = options.port ?? 68;
    if (!isIpv4(address)) {
      throw new TypeError(
        `Invalid bind address: expected dotted-quad IPv4, got "${address}"`,
      );
    }
    if (!Number.isInteger(port) || port < 1 || port > 0xffff) {
      throw new RangeError(
        `Invalid port: expected an integer from 1 to 65535, got ${port}`,
      );
    }
    let connection: Deno.DatagramConn;
    try {
      connection = Deno.listenDatagram({
        transport: "udp",
        hostname: address,
        port,
      });
    } catch (error) {
      throw new Error(
        `Cannot bind UDP socket to ${address}:${port}: ${errorText(error)}`,
        { cause: error },
      );
    }
    logger.debug("{address}: opened UDP socket on port {port}", {
      address,
      port,
    });
    return new UdpSocket(connection, address, port);
  }

  /** The local address the socket is bound to. */
  get address(): string {
    return this.#address;
  }

  /**
   * Sends a payload to a unicast destination.
   *
   * @param payload The UDP payload.
   * @param options The destination address (required) and port
   * (default 67); `source` is ignored, the bound address is used.
   * @returns When the kernel has taken the datagram.
   * @throws {TypeError} If the destination is missing or not IPv4.
   * @throws {SocketClosedError} If the socket is closed.
   */
  async send(payload: Uint8Array, options: SendOptions = {}): Promise<void> {
    if (this.#closed) throw this.#closedError();
    const { destination, destinationPort = 67 } = options;
    if (destination === undefined || !isIpv4(destination)) {
      throw new TypeError(
        "Invalid destination: expected a dotted-quad IPv4 address, got " +
          `${destination === undefined ? "none" : `"${destination}"`}`,
      );
    }
    await this.#connection.send(payload, {
      transport: "udp",
      hostname: destination,
      port: destinationPort,
    });
  }

  /**
   * Waits for the next datagram to the bound address and port.
   *
   * @returns The datagram.
   * @throws {SocketClosedError} If the socket is or gets closed.
   */
  receive(): Promise<Datagram> {
    const next = this.#tail.then(() => this.#receiveOne());
    this.#tail = next.catch(() => {});
    return next;
  }

  /**
   * Closes the socket, rejecting pending receives; later calls return the
   * same promise.
   *
   * @returns When the socket is closed.
   */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    try {
      this.#connection.close();
    } catch (error) {
      logger.debug("{address}: closing UDP socket failed: {error}", {
        address: this.#address,
        error,
      });
    }
    this.#closed = Promise.resolve();
    return this.#closed;
  }

  /** Closes the socket. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #receiveOne(): Promise<Datagram> {
    if (this.#closed) throw this.#closedError();
    let received: [Uint8Array, Deno.Addr];
    try {
      received = await this.#connection.receive();
    } catch (error) {
      // Closing the connection rejects the pending read with BadResource
      // or Interrupted; report that uniformly.
      if (this.#closed) throw this.#closedError();
      throw error;
    }
    const [payload, from] = received;
    const remote = from as Deno.NetAddr;
    return {
      payload,
      source: remote.hostname,
      sourcePort: remote.port,
      destination: this.#address,
      destinationPort: this.#port,
    };
  }

  #closedError(): SocketClosedError {
    return new SocketClosedError(`UDP socket on ${this.#address}`);
  }
}
