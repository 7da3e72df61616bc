/**
 * The environment a hook script runs with: busybox udhcpc's variable names
 * and formats, so udhcpc scripts run unchanged, plus ocidhcp's own
 * `OCIDHCP_*` variables.
 *
 * Lease data is untrusted. Values reach the script only as environment
 * entries, never as part of a command line; domain-like values (`domain`,
 * `search`, `hostname`, `nisdomain`, `tftp`) that fail
 * {@linkcode domainNameProblem} are left out, and so are text options with
 * control characters or invalid UTF-8. Where udhcpc would pass a bad host
 * name as the word "bad", ocidhcp passes nothing. Nothing of the parent
 * environment is passed except `PATH`.
 *
 * Variables for a lease (udhcpc names):
 *
 * - `interface`; `ip` (the leased address); `subnet` (dotted mask) and
 *   `mask` (prefix length), from option 1 or, without it, the classful
 *   prefix ocidhcp applied; `broadcast` (option 28, else computed for
 *   prefixes up to /30); `router`, `dns` (space-separated); `domain`;
 *   `search` (option 119, space-separated); `hostname`; `lease` (seconds,
 *   4294967295 for an infinite lease, as on the wire); `serverid`; `mtu`;
 *   `staticroutes` (option 121 as `dest/prefix gateway ...`).
 * - Options udhcpc names and ocidhcp decodes the same way: `timezone`,
 *   `lprsrv`, `bootsize`, `swapsrv`, `rootpath`, `ipttl`, `routes`,
 *   `nisdomain`, `nissrv`, `ntpsrv`, `wins`, `message`, `vendor`, `tftp`,
 *   `bootfile`, `tzstr`, `tzdbstr`, `vlanid`, `vlanprio`, `pxeconffile`,
 *   `pxepathprefix`, `reboottime`, `wpad`.
 * - `optNN` (NN the decimal code) for any other option, as lowercase hex
 *   bytes; udhcpc exports unnamed options the same way (`opt53=05`).
 *
 * ocidhcp's own: `OCIDHCP_EVENT`, `OCIDHCP_INTERFACE`,
 * `OCIDHCP_DEFAULT_ROUTE_OWNER` (when known), and with a lease
 * `OCIDHCP_T1` and `OCIDHCP_T2` (seconds, 4294967295 when infinite) and
 * `OCIDHCP_LEASE_JSON`, a JSON object of the checked lease fields
 * ({@linkcode HookLeaseSummary}).
 *
 * For `deconfig` and `leasefail` only `interface` and the `OCIDHCP_*`
 * event variables are set, as udhcpc does; a lease given is ignored.
 *
 * Limitations: the BOOTP header fields udhcpc exports (`siaddr`, `sname`,
 * `boot_file`) are not available, because a lease keeps only the options;
 * options 120 (`sipsrv`), 212 (`ip6rd`) and 249 (`msstaticroutes`) are
 * passed as `optNN` hex rather than decoded.
 *
 * @module
 */

import type { Lease } from "../client/lease.ts";
import { INFINITE_TIME, OptionCode } from "../dhcp/constants.ts";
import { domainNameProblem } from "../dns/domain_name.ts";
import {
  broadcastAddress,
  formatIpv4,
  ipv4FromBytes,
  prefixToMask,
} from "../net/ipv4.ts";
import type { HookEvent } from "./hook_event.ts";

/** The PATH given to hooks when the parent process has none. */
export const DEFAULT_HOOK_PATH =
  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** What {@linkcode hookEnvironment} builds an environment from. */
export interface HookEnvironmentInput {
  /** The event the hook is run for. */
  event: HookEvent;
  /** The interface concerned. */
  interface: string;
  /** The lease concerned; ignored for `deconfig` and `leasefail`. */
  lease?: Lease;
  /** The interface that owns the default route, when known. */
  defaultRouteOwner?: string;
  /**
   * The PATH to pass; by default the parent's PATH, or
   * {@linkcode DEFAULT_HOOK_PATH} when it has none or cannot be read.
   */
  path?: string;
}

/** A value left out of a hook environment, and why. */
export interface RejectedValue {
  /** The variable it would have been, such as "domain". */
  name: string;
  /** Why it was left out. */
  reason: string;
}

/** The result of {@linkcode hookEnvironment}. */
export interface HookEnvironment {
  /** The complete environment of the hook process. */
  env: Record<string, string>;
  /** Values left out because they were unsafe or malformed. */
  rejected: RejectedValue[];
}

/** The lease fields given to hooks as `OCIDHCP_LEASE_JSON`. */
export interface HookLeaseSummary {
  /** The interface. */
  interface: string;
  /** The leased address. */
  address: string;
  /** The prefix length. */
  prefix: number;
  /** The dotted subnet mask. */
  subnetMask: string;
  /** The server identifier. */
  serverIdentifier: string;
  /** Routers, in order. */
  routers: string[];
  /** DNS servers, in order. */
  domainNameServers: string[];
  /** The domain name, when valid. */
  domainName?: string;
  /** The valid names of the domain search list. */
  domainSearch: string[];
  /** The host name, when valid. */
  hostName?: string;
  /** Classless static routes. */
  classlessStaticRoutes?: Array<
    { destination: string; prefix: number; gateway: string }
  >;
  /** The interface MTU. */
  interfaceMtu?: number;
  /** The broadcast address (option 28). */
  broadcastAddress?: string;
  /** Lease time in seconds; 4294967295 when infinite. */
  leaseTime: number;
  /** T1 in seconds; 4294967295 when infinite. */
  renewalTime: number;
  /** T2 in seconds; 4294967295 when infinite. */
  rebindingTime: number;
}

type Kind =
  | "ip"
  | "ips"
  | "ip-pairs"
  | "u8"
  | "u16"
  | "u32"
  | "s32"
  | "text"
  | "host";

// Options udhcpc gives a name that are not part of a Lease, with the value
// format udhcpc prints for them.
const NAMED: ReadonlyMap<number, readonly [string, Kind]> = new Map(
  [
    [2, ["timezone", "s32"]],
    [9, ["lprsrv", "ips"]],
    [13, ["bootsize", "u16"]],
    [16, ["swapsrv", "ip"]],
    [17, ["rootpath", "text"]],
    [23, ["ipttl", "u8"]],
    [33, ["routes", "ip-pairs"]],
    [40, ["nisdomain", "host"]],
    [41, ["nissrv", "ips"]],
    [42, ["ntpsrv", "ips"]],
    [44, ["wins", "ips"]],
    [56, ["message", "text"]],
    [60, ["vendor", "text"]],
    [66, ["tftp", "host"]],
    [67, ["bootfile", "text"]],
    [100, ["tzstr", "text"]],
    [101, ["tzdbstr", "text"]],
    [132, ["vlanid", "u16"]],
    [133, ["vlanprio", "u8"]],
    [209, ["pxeconffile", "text"]],
    [210, ["pxepathprefix", "text"]],
    [211, ["reboottime", "u32"]],
    [252, ["wpad", "text"]],
  ] as const,
);

// Options already exported through the Lease's checked fields.
const FROM_LEASE: ReadonlySet<number> = new Set([
  OptionCode.SUBNET_MASK,
  OptionCode.ROUTER,
  OptionCode.DOMAIN_NAME_SERVER,
  OptionCode.HOST_NAME,
  OptionCode.DOMAIN_NAME,
  OptionCode.INTERFACE_MTU,
  OptionCode.BROADCAST_ADDRESS,
  OptionCode.IP_ADDRESS_LEASE_TIME,
  OptionCode.SERVER_IDENTIFIER,
  OptionCode.DOMAIN_SEARCH,
  OptionCode.CLASSLESS_STATIC_ROUTE,
]);

const SIZE: Readonly<Record<Kind, number>> = {
  "ip": 4,
  "ips": 4,
  "ip-pairs": 8,
  "u8": 1,
  "u16": 2,
  "u32": 4,
  "s32": 4,
  "text": 1,
  "host": 1,
};

/** Tells whether text has a C0 control character or DEL. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function seconds(value: number): number {
  return Number.isFinite(value) ? Math.round(value) : INFINITE_TIME;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Formats a named option as udhcpc does, or says why it cannot be.
 */
function formatNamed(kind: Kind, value: Uint8Array): string | RejectedValue {
  const size = SIZE[kind];
  const fixed = kind === "ip" || kind.startsWith("u") || kind === "s32";
  if (
    value.length === 0 || value.length % size !== 0 ||
    (fixed && value.length !== size)
  ) {
    return {
      name: "",
      reason: `length ${value.length} is not valid for a ${kind} value`,
    };
  }
  const view = new DataView(value.buffer, value.byteOffset, value.length);
  switch (kind) {
    case "u8":
      return String(view.getUint8(0));
    case "u16":
      return String(view.getUint16(0));
    case "u32":
      return String(view.getUint32(0));
    case "s32":
      return String(view.getInt32(0));
    case "ip":
    case "ips":
    case "ip-pairs": {
      const words: string[] = [];
      for (let i = 0; i < value.length; i += size) {
        words.push(
          kind === "ip-pairs"
            ? `${ipv4FromBytes(value, i)}/${ipv4FromBytes(value, i + 4)}`
            : ipv4FromBytes(value, i),
        );
      }
      return words.join(" ");
    }
    case "text":
    case "host": {
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(value);
      } catch {
        return { name: "", reason: "not valid UTF-8" };
      }
      // A trailing NUL is a common server habit (RFC 2132 3.14 says not
      // to send one); any other control character is refused.
      let end = text.length;
      while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
      text = text.slice(0, end);
      if (kind === "host") {
        const problem = domainNameProblem(text);
        return problem === undefined ? text : { name: "", reason: problem };
      }
      if (hasControl(text)) {
        return { name: "", reason: "contains control characters" };
      }
      return text;
    }
  }
}

function defaultPath(): string {
  try {
    return Deno.env.get("PATH") || DEFAULT_HOOK_PATH;
  } catch {
    // Without --allow-env the parent's PATH cannot be read.
    return DEFAULT_HOOK_PATH;
  }
}

/**
 * Builds the environment of a hook script for an event (see the module
 * notes for the variables).
 *
 * @param input The event, interface, lease and default-route owner.
 * @returns The environment, and the values left out as unsafe.
 * @throws {TypeError} If the interface name is empty or has a control
 * character, a space, a slash or more than 15 characters.
 *
 * @example Environment for a new lease
 * ```ts ignore
 * const { env, rejected } = hookEnvironment({
 *   event: "bound",
 *   interface: "eth0",
 *   lease,
 * });
 * env.ip; // "198.18.0.100"
 * ```
 */
export function hookEnvironment(input: HookEnvironmentInput): HookEnvironment {
  const iface = input.interface;
  if (
    iface.length < 1 || iface.length > 15 || hasControl(iface) ||
    /[\s/]/.test(iface)
  ) {
    throw new TypeError(
      `Interface name must be 1 to 15 characters without control ` +
        `characters, spaces or slashes, got ${JSON.stringify(iface)}`,
    );
  }
  const env: Record<string, string> = {
    PATH: input.path ?? defaultPath(),
    interface: iface,
    OCIDHCP_EVENT: input.event,
    OCIDHCP_INTERFACE: iface,
  };
  if (input.defaultRouteOwner !== undefined) {
    env.OCIDHCP_DEFAULT_ROUTE_OWNER = input.defaultRouteOwner;
  }
  const rejected: RejectedValue[] = [];
  const lease = input.lease;
  if (
    lease === undefined || input.event === "deconfig" ||
    input.event === "leasefail"
  ) {
    return { env, rejected };
  }
  const summary = leaseVariables(lease, env, rejected);
  env.OCIDHCP_T1 = String(summary.renewalTime);
  env.OCIDHCP_T2 = String(summary.rebindingTime);
  env.OCIDHCP_LEASE_JSON = JSON.stringify(summary);
  optionVariables(lease, env, rejected);
  return { env, rejected };
}

function checkedName(
  name: string,
  value: string | undefined,
  rejected: RejectedValue[],
): string | undefined {
  if (value === undefined) return undefined;
  const problem = domainNameProblem(value);
  if (problem === undefined) return value;
  rejected.push({ name, reason: problem });
  return undefined;
}

function leaseVariables(
  lease: Lease,
  env: Record<string, string>,
  rejected: RejectedValue[],
): HookLeaseSummary {
  const mask = formatIpv4(prefixToMask(lease.prefix));
  env.ip = lease.address;
  env.subnet = mask;
  env.mask = String(lease.prefix);
  // A /31 (RFC 3021) or /32 has no broadcast address to compute.
  const broadcast = lease.broadcastAddress ??
    (lease.prefix <= 30
      ? broadcastAddress(lease.address, lease.prefix)
      : undefined);
  if (broadcast !== undefined) env.broadcast = broadcast;
  if (lease.routers.length > 0) env.router = lease.routers.join(" ");
  if (lease.domainNameServers.length > 0) {
    env.dns = lease.domainNameServers.join(" ");
  }
  const domain = checkedName("domain", lease.domainName, rejected);
  if (domain !== undefined) env.domain = domain;
  const search = lease.domainSearch.filter((name) =>
    checkedName("search", name, rejected) !== undefined
  );
  if (search.length > 0) env.search = search.join(" ");
  const host = checkedName("hostname", lease.hostName, rejected);
  if (host !== undefined) env.hostname = host;
  const summary: HookLeaseSummary = {
    interface: lease.interface,
    address: lease.address,
    prefix: lease.prefix,
    subnetMask: mask,
    serverIdentifier: lease.serverIdentifier,
    routers: [...lease.routers],
    domainNameServers: [...lease.domainNameServers],
    domainSearch: search,
    leaseTime: seconds(lease.leaseTime),
    renewalTime: seconds(lease.renewalTime),
    rebindingTime: seconds(lease.rebindingTime),
  };
  if (domain !== undefined) summary.domainName = domain;
  if (host !== undefined) summary.hostName = host;
  env.lease = String(summary.leaseTime);
  env.serverid = lease.serverIdentifier;
  if (lease.interfaceMtu !== undefined) {
    env.mtu = String(lease.interfaceMtu);
    summary.interfaceMtu = lease.interfaceMtu;
  }
  if (lease.broadcastAddress !== undefined) {
    summary.broadcastAddress = lease.broadcastAddress;
  }
  const routes = lease.classlessStaticRoutes;
  if (routes !== undefined) {
    summary.classlessStaticRoutes = routes.map((r) => ({ ...r }));
    if (routes.length > 0) {
      env.staticroutes = routes
        .map((r) => `${r.destination}/${r.prefix} ${r.gateway}`)
        .join(" ");
    }
  }
  return summary;
}

function optionVariables(
  lease: Lease,
  env: Record<string, string>,
  rejected: RejectedValue[],
): void {
  for (const [code, value] of lease.options) {
    if (FROM_LEASE.has(code)) continue;
    const named = NAMED.get(code);
    if (named === undefined) {
      env[`opt${code}`] = hex(value);
      continue;
    }
    const [name, kind] = named;
    const text = formatNamed(kind, value);
    if (typeof text === "string") {
      env[name] = text;
    } else {
      rejected.push({ name, reason: text.reason });
    }
  }
}
