/**
 * DHCPv4 protocol numbers (RFC 2131, RFC 2132 and the option RFCs named
 * beside each code).
 *
 * @module
 */

/** DHCP message types, the value of option 53 (RFC 2132 §9.6). */
export const MessageType = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;

/** One of the DHCP message type numbers of {@linkcode MessageType}. */
export type MessageType = typeof MessageType[keyof typeof MessageType];

const MESSAGE_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: "DHCPDISCOVER",
  2: "DHCPOFFER",
  3: "DHCPREQUEST",
  4: "DHCPDECLINE",
  5: "DHCPACK",
  6: "DHCPNAK",
  7: "DHCPRELEASE",
  8: "DHCPINFORM",
};

/**
 * Names a DHCP message type for logs.
 *
 * @param n The value of option 53.
 * @returns "DHCPDISCOVER" to "DHCPINFORM", or "type N" for any other number.
 */
export function messageTypeName(n: number): string {
  return Object.hasOwn(MESSAGE_TYPE_NAMES, n)
    ? MESSAGE_TYPE_NAMES[n]!
    : `type ${n}`;
}

/** Option codes that ocidhcp reads or writes. Any other code is kept raw. */
export const OptionCode = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DOMAIN_NAME_SERVER: 6,
  HOST_NAME: 12,
  DOMAIN_NAME: 15,
  INTERFACE_MTU: 26,
  BROADCAST_ADDRESS: 28,
  REQUESTED_IP_ADDRESS: 50,
  IP_ADDRESS_LEASE_TIME: 51,
  OPTION_OVERLOAD: 52,
  DHCP_MESSAGE_TYPE: 53,
  SERVER_IDENTIFIER: 54,
  PARAMETER_REQUEST_LIST: 55,
  MESSAGE: 56,
  MAXIMUM_DHCP_MESSAGE_SIZE: 57,
  RENEWAL_TIME_VALUE: 58,
  REBINDING_TIME_VALUE: 59,
  VENDOR_CLASS_IDENTIFIER: 60,
  CLIENT_IDENTIFIER: 61,
  CLIENT_FQDN: 81,
  DOMAIN_SEARCH: 119,
  CLASSLESS_STATIC_ROUTE: 121,
  END: 255,
} as const;

/** One of the option codes of {@linkcode OptionCode}. */
export type OptionCode = typeof OptionCode[keyof typeof OptionCode];

const OPTION_NAMES: Readonly<Record<number, string>> = {
  0: "pad",
  1: "subnet mask",
  3: "router",
  6: "domain name server",
  12: "host name",
  15: "domain name",
  26: "interface MTU",
  28: "broadcast address",
  50: "requested IP address",
  51: "IP address lease time",
  52: "option overload",
  53: "DHCP message type",
  54: "server identifier",
  55: "parameter request list",
  56: "message",
  57: "maximum DHCP message size",
  58: "renewal (T1) time value",
  59: "rebinding (T2) time value",
  60: "vendor class identifier",
  61: "client identifier",
  81: "client FQDN",
  119: "domain search",
  121: "classless static route",
  255: "end",
};

/**
 * Names an option the way the RFCs do, with its code, for errors and logs.
 *
 * @param code The option code.
 * @returns Such as "subnet mask (1)", or "option 224" for a code without a
 * name here.
 */
export function optionName(code: number): string {
  return Object.hasOwn(OPTION_NAMES, code)
    ? `${OPTION_NAMES[code]} (${code})`
    : `option ${code}`;
}

/** The op of a message from a client (RFC 951). */
export const BOOTREQUEST = 1;
/** The op of a message from a server (RFC 951). */
export const BOOTREPLY = 2;
/** The UDP port servers and relays listen on. */
export const SERVER_PORT = 67;
/** The UDP port clients listen on. */
export const CLIENT_PORT = 68;
/** The four bytes 99.130.83.99 that start the options (RFC 2131 §3). */
export const MAGIC_COOKIE = 0x63825363;
/** A lease time meaning "forever" (RFC 2131 §3.3). */
export const INFINITE_TIME = 0xffffffff;
/** The flags bit by which a client asks for broadcast replies (RFC 2131 §2). */
export const BROADCAST_FLAG = 0x8000;
