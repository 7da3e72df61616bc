/**
 * Real-world-shaped DHCP messages as annotated bytes, shared by the tests.
 *
 * @module
 */

/** Concatenates byte segments. */
export function bytes(...parts: ReadonlyArray<ArrayLike<number>>): Uint8Array {
  const total = parts.reduce((n, part) => n + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(Array.from(part), at);
    at += part.length;
  }
  return out;
}

/** The ASCII bytes of a string. */
export function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0));
}

/** n zero bytes. */
export function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

/** The client's hardware address in both messages. */
export const MAC = [0x00, 0x16, 0x3e, 0x12, 0x34, 0x56];

/**
 * A DHCPDISCOVER as dhclient sends it: broadcast flag set, client
 * identifier of type 1 (Ethernet) and the MAC, the address it had before,
 * a parameter request list, padded to the BOOTP minimum of 300 bytes.
 */
export const DISCOVER: Uint8Array = bytes(
  [0x01], // op: 1 BOOTREQUEST
  [0x01], // htype: 1 Ethernet
  [0x06], // hlen: 6
  [0x00], // hops: 0
  [0x39, 0x03, 0xf3, 0x26], // xid: 0x3903f326
  [0x00, 0x04], // secs: 4
  [0x80, 0x00], // flags: broadcast
  [0, 0, 0, 0], // ciaddr: 0.0.0.0
  [0, 0, 0, 0], // yiaddr: 0.0.0.0
  [0, 0, 0, 0], // siaddr: 0.0.0.0
  [0, 0, 0, 0], // giaddr: 0.0.0.0
  MAC, // chaddr: 00:16:3e:12:34:56 ...
  zeros(10), // ... and 10 bytes of padding to 16
  zeros(64), // sname: empty
  zeros(128), // file: empty
  [0x63, 0x82, 0x53, 0x63], // magic cookie (offset 236)
  [53, 1, 1], // option 53 DHCP message type, 1 byte: DHCPDISCOVER
  [61, 7, 0x01, ...MAC], // option 61 client identifier: type 1 + MAC
  [50, 4, 192, 168, 1, 100], // option 50 requested IP address: 192.168.1.100
  [12, 6, ...ascii("myhost")], // option 12 host name: "myhost"
  [57, 2, 0x05, 0xdc], // option 57 maximum DHCP message size: 1500
  // option 55 parameter request list: mask, broadcast, router, domain
  // name, DNS, domain search, host name, MTU, classless routes, NTP
  [55, 10, 1, 28, 3, 15, 6, 119, 12, 26, 121, 42],
  [255], // END (offset 282)
  zeros(17), // pad to 300 bytes
);

/**
 * The domain search value of {@linkcode ACK}: "example.com" then
 * "lab.example.com" whose suffix is a pointer to offset 0.
 */
export const SEARCH_VALUE: number[] = [
  7,
  ...ascii("example"),
  3,
  ...ascii("com"),
  0, // "example.com" at offset 0
  3,
  ...ascii("lab"),
  0xc0,
  0x00, // "lab" + pointer to offset 0
];

/**
 * A DHCPACK as dnsmasq sends it to that client, with a server name in
 * sname, lease times, the usual network options, a domain search list with
 * a compression pointer and classless static routes. Not padded: it is
 * longer than 300 bytes.
 */
export const ACK: Uint8Array = bytes(
  [0x02], // op: 2 BOOTREPLY
  [0x01], // htype: 1 Ethernet
  [0x06], // hlen: 6
  [0x00], // hops: 0
  [0x39, 0x03, 0xf3, 0x26], // xid: 0x3903f326
  [0x00, 0x00], // secs: 0
  [0x00, 0x00], // flags: none
  [0, 0, 0, 0], // ciaddr: 0.0.0.0
  [192, 168, 1, 100], // yiaddr: 192.168.1.100
  [192, 168, 1, 1], // siaddr: 192.168.1.1
  [0, 0, 0, 0], // giaddr: 0.0.0.0
  MAC, // chaddr: 00:16:3e:12:34:56 ...
  zeros(10), // ... and 10 bytes of padding to 16
  ascii("gateway"), // sname: "gateway" ...
  zeros(64 - 7), // ... NUL-padded to 64
  zeros(128), // file: empty
  [0x63, 0x82, 0x53, 0x63], // magic cookie (offset 236)
  [53, 1, 5], // option 53 DHCP message type: DHCPACK
  [54, 4, 192, 168, 1, 1], // option 54 server identifier: 192.168.1.1
  [51, 4, 0x00, 0x00, 0x0e, 0x10], // option 51 lease time: 3600 s
  [58, 4, 0x00, 0x00, 0x07, 0x08], // option 58 T1: 1800 s
  [59, 4, 0x00, 0x00, 0x0c, 0x4e], // option 59 T2: 3150 s
  [1, 4, 255, 255, 255, 0], // option 1 subnet mask: 255.255.255.0
  [28, 4, 192, 168, 1, 255], // option 28 broadcast: 192.168.1.255
  [3, 4, 192, 168, 1, 1], // option 3 router: 192.168.1.1
  [6, 8, 192, 168, 1, 1, 8, 8, 8, 8], // option 6 DNS: 192.168.1.1, 8.8.8.8
  [15, 11, ...ascii("example.com")], // option 15 domain name
  [12, 6, ...ascii("myhost")], // option 12 host name
  [26, 2, 0x05, 0xdc], // option 26 interface MTU: 1500
  [119, SEARCH_VALUE.length, ...SEARCH_VALUE], // option 119 domain search
  // option 121 classless static routes: 10.0.0.0/8 via 192.168.1.1,
  // then the default route 0.0.0.0/0 via 192.168.1.1
  [121, 11, 8, 10, 192, 168, 1, 1, 0, 192, 168, 1, 1],
  [255], // END
);
