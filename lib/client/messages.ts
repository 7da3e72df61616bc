/**
 * Builders for the messages a DHCPv4 client sends, with the fields and
 * options RFC 2131 table 5 asks for in each case.
 *
 * Every message has op BOOTREQUEST, htype 1 (Ethernet), hlen 6, the MAC in
 * chaddr and flags 0: replies unicast to the offered address still reach
 * the client's packet socket, so the broadcast flag is never needed.
 *
 * @module
 */

import { BOOTREQUEST, MessageType, OptionCode } from "../dhcp/constants.ts";
import { createMessage, type DhcpMessage } from "../dhcp/message.ts";
import { DhcpOptions } from "../dhcp/options.ts";
import {
  encodeIpv4List,
  encodeText,
  encodeUint16,
  encodeUint8,
} from "../dhcp/option_values.ts";

/**
 * The largest DHCP message (UDP payload) we accept, sent as option 57.
 *
 * RFC 2132 section 9.10 leaves open whether the value counts the IP and UDP
 * headers, and servers read it both ways. 1472 is the payload of a 1500-byte
 * Ethernet frame without its 28 bytes of IPv4 and UDP header, so the reply
 * fits in one frame under either reading; the packet socket's filter drops
 * IP fragments, so a larger reply would be lost. It is above the minimum of
 * 576.
 */
export const MAXIMUM_MESSAGE_SIZE = 1472;

/** Options requested in option 55 unless configured otherwise. */
export const DEFAULT_REQUESTED_OPTIONS: readonly number[] = [
  OptionCode.SUBNET_MASK,
  OptionCode.ROUTER,
  OptionCode.DOMAIN_NAME_SERVER,
  OptionCode.HOST_NAME,
  OptionCode.DOMAIN_NAME,
  OptionCode.INTERFACE_MTU,
  OptionCode.BROADCAST_ADDRESS,
  OptionCode.IP_ADDRESS_LEASE_TIME,
  OptionCode.SERVER_IDENTIFIER,
  OptionCode.RENEWAL_TIME_VALUE,
  OptionCode.REBINDING_TIME_VALUE,
  OptionCode.DOMAIN_SEARCH,
  OptionCode.CLASSLESS_STATIC_ROUTE,
];

/** Who the client is: what goes into every message it sends. */
export interface ClientIdentity {
  /** The interface's 6-byte Ethernet address. */
  hardwareAddress: Uint8Array;
  /**
   * Option 61 bytes. Default: type 1 (Ethernet) followed by the MAC, as
   * udhcpc and dhcpcd send.
   */
  clientIdentifier?: Uint8Array;
  /** Option 12, sent in DHCPDISCOVER and DHCPREQUEST when set. */
  hostName?: string;
  /**
   * Option 81 (RFC 4702), sent when set, asking the server to update the
   * A record. A name with a dot or a final dot is fully qualified; a single
   * label is partial, for the server to complete.
   */
  fqdn?: string;
  /** Option 60, sent in DHCPDISCOVER and DHCPREQUEST when set. */
  vendorClassIdentifier?: string;
  /** Option codes requested in option 55 besides the default ones. */
  requestedOptions?: readonly number[];
}

/** What every exchange carries. */
export interface ExchangeOptions {
  /** The transaction id. */
  xid: number;
  /** Seconds since the exchange began; capped at 0xffff. */
  secs: number;
}

/** Options for {@linkcode buildDiscover}. */
export interface DiscoverOptions extends ExchangeOptions {
  /** An address to ask for again (option 50), such as the last lease. */
  requestedAddress?: string;
}

/**
 * Options for {@linkcode buildRequest}, one shape per RFC 2131 section
 * 4.3.2 case.
 */
export type RequestOptions =
  & ExchangeOptions
  & (
    | {
      /** Answering a DHCPOFFER: options 50 and 54, ciaddr 0. */
      kind: "selecting";
      requestedAddress: string;
      serverIdentifier: string;
    }
    | {
      /** Confirming a remembered address: option 50, no 54, ciaddr 0. */
      kind: "init-reboot";
      requestedAddress: string;
    }
    | {
      /** Extending a lease: ciaddr set, neither 50 nor 54. */
      kind: "renewing" | "rebinding";
      clientAddress: string;
    }
  );

/** Options for {@linkcode buildRelease}. */
export interface ReleaseOptions {
  /** The transaction id. */
  xid: number;
  /** The leased address, sent as ciaddr. */
  clientAddress: string;
  /** The server that granted the lease (option 54). */
  serverIdentifier: string;
}

/** Options for {@linkcode buildDecline}. */
export interface DeclineOptions {
  /** The transaction id. */
  xid: number;
  /** The address found in use (option 50). */
  requestedAddress: string;
  /** The server that offered it (option 54). */
  serverIdentifier: string;
}

/** RFC 4702 section 2.1 flags: S (server updates A) and E (wire format). */
const FQDN_FLAG_S = 0x01;
const FQDN_FLAG_E = 0x04;

/**
 * Encodes the RFC 4702 client FQDN option value: flags, two RCODE bytes
 * (0, as section 2.2 asks of clients) and the name in DNS wire format.
 *
 * @param fqdn The name, such as "web.example.com" or "web".
 * @returns The option 81 value.
 * @throws {RangeError} If a label is empty or over 63 bytes, the name is
 * over 255 bytes, or it has non-ASCII characters.
 *
 * @example Encode a fully qualified name
 * ```ts
 * import { encodeClientFqdn } from "./messages.ts";
 * encodeClientFqdn("a.example"); // flags 5, 0, 0, 1 "a" 7 "example" 0
 * ```
 */
export function encodeClientFqdn(fqdn: string): Uint8Array {
  // A final dot, or any dot, makes the name fully qualified (RFC 4702
  // section 2.3.1): it ends with the root label. A single label is partial.
  const qualified = fqdn.includes(".");
  const labels = (fqdn.endsWith(".") ? fqdn.slice(0, -1) : fqdn).split(".");
  const bytes: number[] = [FQDN_FLAG_S | FQDN_FLAG_E, 0, 0];
  for (const label of labels) {
    if (!/^[\x21-\x7e]{1,63}$/.test(label)) {
      throw new RangeError(
        `FQDN labels must be 1 to 63 printable ASCII characters, got ` +
          `"${label}" in "${fqdn}"`,
      );
    }
    bytes.push(label.length);
    for (let i = 0; i < label.length; i++) bytes.push(label.charCodeAt(i));
  }
  if (qualified) bytes.push(0);
  if (bytes.length - 3 > 255) {
    throw new RangeError(
      `FQDN must be at most 255 bytes in wire format, got ` +
        `${bytes.length - 3} for "${fqdn}"`,
    );
  }
  return new Uint8Array(bytes);
}

/**
 * Returns the client identifier a client sends: the configured bytes, or
 * type 1 (Ethernet) followed by the MAC.
 *
 * @param identity The client identity.
 * @returns The option 61 value.
 * @throws {RangeError} If the hardware address is not 6 bytes.
 *
 * @example Default identifier
 * ```ts
 * import { clientIdentifierOf } from "./messages.ts";
 * clientIdentifierOf({ hardwareAddress: new Uint8Array(6) }); // 1, 0 x 6
 * ```
 */
export function clientIdentifierOf(identity: ClientIdentity): Uint8Array {
  checkHardwareAddress(identity.hardwareAddress);
  if (identity.clientIdentifier !== undefined) {
    return identity.clientIdentifier;
  }
  const id = new Uint8Array(7);
  id[0] = 1;
  id.set(identity.hardwareAddress, 1);
  return id;
}

function checkHardwareAddress(mac: Uint8Array): void {
  if (mac.length !== 6) {
    throw new RangeError(
      `Hardware address must be 6 bytes, got ${mac.length}`,
    );
  }
}

function requestedOptionList(identity: ClientIdentity): Uint8Array {
  const codes = new Set(DEFAULT_REQUESTED_OPTIONS);
  for (const code of identity.requestedOptions ?? []) {
    if (!Number.isInteger(code) || code < 1 || code > 254) {
      throw new RangeError(
        `Requested option codes must be integers from 1 to 254, got ${code}`,
      );
    }
    codes.add(code);
  }
  return new Uint8Array(codes);
}

/** The fixed header fields and the options every message starts with. */
function base(
  identity: ClientIdentity,
  type: number,
  xid: number,
  secs: number,
): DhcpMessage {
  const chaddr = new Uint8Array(16);
  chaddr.set(identity.hardwareAddress);
  const options = new DhcpOptions();
  options.set(OptionCode.DHCP_MESSAGE_TYPE, encodeUint8(type));
  options.set(OptionCode.CLIENT_IDENTIFIER, clientIdentifierOf(identity));
  return createMessage({
    op: BOOTREQUEST,
    htype: 1,
    hlen: 6,
    xid: xid >>> 0,
    secs: Math.min(0xffff, Math.max(0, Math.floor(secs))),
    flags: 0,
    chaddr,
    options,
  });
}

/**
 * Adds what RFC 2131 table 5 allows in DHCPDISCOVER and DHCPREQUEST but
 * forbids in DHCPDECLINE and DHCPRELEASE.
 */
function addParameters(message: DhcpMessage, identity: ClientIdentity): void {
  const options = message.options;
  options.set(
    OptionCode.MAXIMUM_DHCP_MESSAGE_SIZE,
    encodeUint16(MAXIMUM_MESSAGE_SIZE),
  );
  options.set(
    OptionCode.PARAMETER_REQUEST_LIST,
    requestedOptionList(identity),
  );
  if (identity.hostName !== undefined) {
    options.set(OptionCode.HOST_NAME, encodeText(identity.hostName));
  }
  if (identity.vendorClassIdentifier !== undefined) {
    options.set(
      OptionCode.VENDOR_CLASS_IDENTIFIER,
      encodeText(identity.vendorClassIdentifier),
    );
  }
  if (identity.fqdn !== undefined) {
    options.set(OptionCode.CLIENT_FQDN, encodeClientFqdn(identity.fqdn));
  }
}

/**
 * Builds a DHCPDISCOVER.
 *
 * @param identity Who the client is.
 * @param options The exchange and an optional address hint (option 50).
 * @returns The message, to be broadcast.
 * @throws {RangeError} If the identity is invalid.
 *
 * @example Discover with a hint
 * ```ts ignore
 * buildDiscover(identity, { xid: 1, secs: 0, requestedAddress: "10.0.0.5" });
 * ```
 */
export function buildDiscover(
  identity: ClientIdentity,
  options: DiscoverOptions,
): DhcpMessage {
  const message = base(
    identity,
    MessageType.DISCOVER,
    options.xid,
    options.secs,
  );
  if (options.requestedAddress !== undefined) {
    message.options.set(
      OptionCode.REQUESTED_IP_ADDRESS,
      encodeIpv4List([options.requestedAddress]),
    );
  }
  addParameters(message, identity);
  return message;
}

/**
 * Builds a DHCPREQUEST for one of the four cases of RFC 2131 section 4.3.2.
 *
 * "selecting" carries options 50 and 54 with ciaddr 0; "init-reboot"
 * carries option 50 only; "renewing" and "rebinding" carry the leased
 * address in ciaddr and neither option (renewing is unicast to the server,
 * rebinding broadcast; the message is the same).
 *
 * @param identity Who the client is.
 * @param options The exchange and the case.
 * @returns The message.
 * @throws {RangeError} If the identity is invalid.
 *
 * @example Renew a lease
 * ```ts ignore
 * buildRequest(identity, {
 *   kind: "renewing", xid: 7, secs: 0, clientAddress: "10.0.0.5",
 * });
 * ```
 */
export function buildRequest(
  identity: ClientIdentity,
  options: RequestOptions,
): DhcpMessage {
  const message = base(
    identity,
    MessageType.REQUEST,
    options.xid,
    options.secs,
  );
  switch (options.kind) {
    case "selecting":
      message.options.set(
        OptionCode.REQUESTED_IP_ADDRESS,
        encodeIpv4List([options.requestedAddress]),
      );
      message.options.set(
        OptionCode.SERVER_IDENTIFIER,
        encodeIpv4List([options.serverIdentifier]),
      );
      break;
    case "init-reboot":
      message.options.set(
        OptionCode.REQUESTED_IP_ADDRESS,
        encodeIpv4List([options.requestedAddress]),
      );
      break;
    case "renewing":
    case "rebinding":
      message.ciaddr = options.clientAddress;
      break;
  }
  addParameters(message, identity);
  return message;
}

/**
 * Builds a DHCPRELEASE (RFC 2131 section 4.4.6): ciaddr is the leased
 * address, option 54 names the server, secs is 0, and no parameter list,
 * size or vendor options are sent (table 5).
 *
 * @param identity Who the client is.
 * @param options The transaction id, the address and the server.
 * @returns The message, to be unicast to the server.
 * @throws {RangeError} If the identity is invalid.
 *
 * @example Release a lease
 * ```ts ignore
 * buildRelease(identity, {
 *   xid: 9, clientAddress: "10.0.0.5", serverIdentifier: "10.0.0.1",
 * });
 * ```
 */
export function buildRelease(
  identity: ClientIdentity,
  options: ReleaseOptions,
): DhcpMessage {
  const message = base(identity, MessageType.RELEASE, options.xid, 0);
  message.ciaddr = options.clientAddress;
  message.options.set(
    OptionCode.SERVER_IDENTIFIER,
    encodeIpv4List([options.serverIdentifier]),
  );
  return message;
}

/**
 * Builds a DHCPDECLINE (RFC 2131 section 4.4.1): ciaddr 0, option 50 is
 * the address found in use, option 54 the server that offered it, secs 0.
 *
 * @param identity Who the client is.
 * @param options The transaction id, the address and the server.
 * @returns The message, to be broadcast.
 * @throws {RangeError} If the identity is invalid.
 *
 * @example Decline an address
 * ```ts ignore
 * buildDecline(identity, {
 *   xid: 9, requestedAddress: "10.0.0.5", serverIdentifier: "10.0.0.1",
 * });
 * ```
 */
export function buildDecline(
  identity: ClientIdentity,
  options: DeclineOptions,
): DhcpMessage {
  const message = base(identity, MessageType.DECLINE, options.xid, 0);
  message.options.set(
    OptionCode.REQUESTED_IP_ADDRESS,
    encodeIpv4List([options.requestedAddress]),
  );
  message.options.set(
    OptionCode.SERVER_IDENTIFIER,
    encodeIpv4List([options.serverIdentifier]),
  );
  return message;
}
