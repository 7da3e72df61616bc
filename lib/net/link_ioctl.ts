/**
 * Network interfaces read from the kernel with the interface ioctls
 * (SIOCGIFINDEX, SIOCGIFFLAGS, SIOCGIFHWADDR, SIOCGIFMTU) on a UDP socket,
 * the way udhcpc reads its interface. A reading takes microseconds; `ip -j
 * link show` costs a process, several milliseconds on the way to the first
 * DHCPDISCOVER. The ioctls answer for the caller's network namespace, as
 * `ip` does, whatever /sys shows.
 *
 * Limitations: SIOCGIFFLAGS reports only the low 16 flag bits, so carrier
 * is read from IFF_RUNNING (operationally up) rather than IFF_LOWER_UP. The
 * two differ for a link held dormant, as by 802.1X before it authenticates,
 * and IFF_RUNNING follows the kernel's link watch, which can act on a
 * carrier change up to a second late, as `ip monitor` reports it. The hardware address is read for Ethernet-like links
 * and loopback only; others report "".
 *
 * @module
 */

import { errno, libc, SystemCallError } from "../ffi/libc.ts";
import type { LinkInfo } from "../ip/link.ts";

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const ENODEV = 19;
const ENXIO = 6;
const encoder = new TextEncoder();

const SIOCGIFFLAGS = 0x8913n;
const SIOCGIFMTU = 0x8921n;
const SIOCGIFHWADDR = 0x8927n;
const SIOCGIFINDEX = 0x8933n;

const IFF_UP = 0x1;
const IFF_BROADCAST = 0x2;
const IFF_RUNNING = 0x40;

// struct ifreq: a 16-byte name, then a 24-byte union whose first member
// (flags, index, MTU or a struct sockaddr) starts at byte 16.
const IFNAMSIZ = 16;
const IFREQ_SIZE = 40;
const IFR_DATA = 16;

const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;
// iproute2's names for the link types a container meets, so that a reading
// prints like `ip -j link show` does.
const LINK_TYPES: ReadonlyMap<number, string> = new Map([
  [ARPHRD_ETHER, "ether"],
  [32, "infiniband"],
  [512, "ppp"],
  [768, "ipip"],
  [769, "tunnel6"],
  [ARPHRD_LOOPBACK, "loopback"],
  [776, "sit"],
  [778, "gre"],
  [823, "ip6gre"],
  [65534, "none"],
  [65535, "void"],
]);

// struct if_nameindex on 64-bit Linux: an unsigned index, padding, a name
// pointer.
const NAMEINDEX_SIZE = 16;
const NAMEINDEX_NAME = 8;

// An ifreq holding the name, or undefined if no interface can have it.
function ifreqFor(name: string): Uint8Array<ArrayBuffer> | undefined {
  const bytes = encoder.encode(name);
  if (bytes.length === 0 || bytes.length >= IFNAMSIZ || bytes.includes(0)) {
    return undefined;
  }
  const request = new Uint8Array(IFREQ_SIZE);
  request.set(bytes);
  return request;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

// One interface through an open socket; undefined when it does not exist.
function query(fd: number, name: string): LinkInfo | undefined {
  const request = ifreqFor(name);
  if (request === undefined) return undefined;
  const view = new DataView(request.buffer);
  const c = libc();
  const ask = (code: bigint, what: string): boolean => {
    if (c.ioctl(fd, code, request) === 0) return true;
    const error = errno();
    if (error === ENODEV || error === ENXIO) return false;
    throw new SystemCallError(`ioctl(${what}) on ${name}`, error);
  };
  if (!ask(SIOCGIFINDEX, "SIOCGIFINDEX")) return undefined;
  const index = view.getInt32(IFR_DATA, true);
  if (!ask(SIOCGIFFLAGS, "SIOCGIFFLAGS")) return undefined;
  const flags = view.getUint16(IFR_DATA, true);
  if (!ask(SIOCGIFMTU, "SIOCGIFMTU")) return undefined;
  const mtu = view.getInt32(IFR_DATA, true);
  if (!ask(SIOCGIFHWADDR, "SIOCGIFHWADDR")) return undefined;
  const family = view.getUint16(IFR_DATA, true);
  const hardware = request.subarray(IFR_DATA + 2, IFR_DATA + 8);
  return {
    name,
    index,
    hardwareAddress: family === ARPHRD_ETHER || family === ARPHRD_LOOPBACK
      ? Array.from(hardware, hex).join(":")
      : "",
    linkType: LINK_TYPES.get(family) ?? `[${family}]`,
    mtu,
    up: (flags & IFF_UP) !== 0,
    carrier: (flags & IFF_RUNNING) !== 0,
    broadcast: (flags & IFF_BROADCAST) !== 0,
  };
}

function withSocket<T>(body: (fd: number) => T): T {
  const c = libc();
  const fd = c.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SystemCallError("socket(AF_INET)", errno());
  try {
    return body(fd);
  } finally {
    c.close(fd);
  }
}

/**
 * Reads interfaces of the calling process's network namespace.
 *
 * @param names The interfaces to read.
 * @returns Those that exist, by name; a missing one is left out.
 * @throws {SystemCallError} If the socket cannot be opened or an ioctl
 * fails for a reason other than a missing interface.
 * @throws {Deno.errors.NotCapable} Without `--allow-ffi`.
 *
 * @example Read eth0
 * ```ts ignore
 * import { readLinks } from "./link_ioctl.ts";
 * const eth0 = readLinks(["eth0"]).get("eth0");
 * console.log(eth0?.hardwareAddress, eth0?.up);
 * ```
 */
export function readLinks(names: readonly string[]): Map<string, LinkInfo> {
  return withSocket((fd) => {
    const links = new Map<string, LinkInfo>();
    for (const name of names) {
      const link = query(fd, name);
      if (link !== undefined) links.set(name, link);
    }
    return links;
  });
}

/**
 * Reads every interface of the calling process's network namespace, as
 * if_nameindex(3) lists them.
 *
 * @returns The interfaces in index order.
 * @throws {SystemCallError} If they cannot be listed or read.
 * @throws {Deno.errors.NotCapable} Without `--allow-ffi`.
 */
export function readAllLinks(): LinkInfo[] {
  const c = libc();
  const list = c.if_nameindex();
  if (list === null) throw new SystemCallError("if_nameindex()", errno());
  const names: string[] = [];
  try {
    const view = new Deno.UnsafePointerView(list);
    for (let offset = 0;; offset += NAMEINDEX_SIZE) {
      if (view.getUint32(offset) === 0) break;
      const name = view.getPointer(offset + NAMEINDEX_NAME);
      if (name === null) break;
      names.push(Deno.UnsafePointerView.getCString(name));
    }
  } finally {
    c.if_freenameindex(list);
  }
  // An interface removed between the listing and its reading is left out.
  return [...readLinks(names).values()].sort((a, b) => a.index - b.index);
}
