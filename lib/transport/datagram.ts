/**
 * The transport contract the DHCP client is written against: a socket that
 * sends a DHCP payload and yields the UDP datagrams that come back.
 *
 * Two implementations exist: a raw AF_PACKET socket for the states where the
 * client has no address yet, and a UDP socket bound to the leased address
 * for unicast renewals and RELEASE. Tests can swap in an in-process fake.
 *
 * @module
 */

/** One received IPv4/UDP datagram. */
export interface Datagram {
  /** The UDP payload (for DHCP, the BOOTP message). */
  payload: Uint8Array;
  /** The IPv4 source address, dotted quad. */
  source: string;
  /** The UDP source port. */
  sourcePort: number;
  /** The IPv4 destination address, dotted quad. */
  destination: string;
  /** The UDP destination port. */
  destinationPort: number;
}

/** Where and how to send one datagram. */
export interface SendOptions {
  /** The IPv4 destination address. */
  destination?: string;
  /** The UDP destination port. */
  destinationPort?: number;
  /** The IPv4 source address, for transports that build the IPv4 header. */
  source?: string;
}

/** A socket carrying DHCP messages for one interface or address. */
export interface DhcpSocket {
  /**
   * Sends one payload.
   *
   * @param payload The UDP payload.
   * @param options The destination and source; defaults depend on the
   * transport.
   * @returns When the kernel has taken the datagram.
   */
  send(payload: Uint8Array, options?: SendOptions): Promise<void>;
  /**
   * Waits for the next datagram.
   *
   * @returns The datagram.
   * @throws {SocketClosedError} Once the socket is closed, including for a
   * call pending at close time.
   */
  receive(): Promise<Datagram>;
  /**
   * Closes the socket; calling it again does nothing.
   *
   * @returns When the underlying descriptor is released.
   */
  close(): Promise<void>;
}

/** The socket was closed before or while waiting for a datagram. */
export class SocketClosedError extends Error {
  /**
   * Creates the error.
   *
   * @param what The socket, such as "packet socket on eth0".
   */
  constructor(what: string) {
    super(`Cannot use ${what}: the socket is closed`);
    this.name = "SocketClosedError";
  }
}
