/**
 * IPv4 addresses on an interface, with kernel lifetimes.
 *
 * A leased address is installed with `valid_lft` and `preferred_lft` equal to
 * the time left on the lease, so the kernel removes it by itself if ocidhcp
 * dies and nothing renews it: a crashed client never leaves a stale address
 * behind for longer than its lease.
 *
 * @module
 */

import { broadcastAddress } from "../net/ipv4.ts";
import { type CommandRunner, runChecked } from "../process/command.ts";
import { IP } from "./batch.ts";

/** An address to install on an interface. */
export interface InterfaceAddress {
  /** The interface name. */
  device: string;
  /** The address. */
  address: string;
  /** The prefix length of its subnet. */
  prefix: number;
  /** The broadcast address; derived from address and prefix when absent. */
  broadcast?: string | undefined;
  /** Seconds the address stays valid; Infinity for "forever". */
  validLifetime: number;
  /** Seconds the address stays preferred; Infinity for "forever". */
  preferredLifetime?: number;
}

// The kernel keeps lifetimes in 32-bit seconds, where 0xffffffff means
// forever; anything at or above that is forever too.
function lifetime(seconds: number): string {
  if (!(seconds >= 0)) {
    throw new RangeError(`Address lifetime must be >= 0, got ${seconds}`);
  }
  return seconds >= 0xffffffff ? "forever" : String(Math.floor(seconds));
}

/**
 * Builds the `ip` arguments that install or refresh an address.
 *
 * `replace` both adds a missing address and updates the lifetimes of an
 * existing one, so a renewal is the same command as the first bind.
 *
 * @param address The address and its lifetimes.
 * @returns The argv after `ip`.
 */
export function addressReplaceArgv(address: InterfaceAddress): string[] {
  return [
    "-4",
    "addr",
    "replace",
    `${address.address}/${address.prefix}`,
    "dev",
    address.device,
    "broadcast",
    address.broadcast ?? broadcastAddress(address.address, address.prefix),
    "valid_lft",
    lifetime(address.validLifetime),
    "preferred_lft",
    lifetime(address.preferredLifetime ?? address.validLifetime),
  ];
}

/**
 * Builds the `ip` arguments that remove an address.
 *
 * @param address The interface, address and prefix.
 * @returns The argv after `ip`.
 */
export function addressDeleteArgv(
  address: Pick<InterfaceAddress, "device" | "address" | "prefix">,
): string[] {
  return [
    "-4",
    "addr",
    "del",
    `${address.address}/${address.prefix}`,
    "dev",
    address.device,
  ];
}

/**
 * Builds the `ip` arguments that bring a link up, optionally setting its MTU.
 *
 * @param device The interface name.
 * @param mtu The MTU to set, if any.
 * @returns The argv after `ip`.
 */
export function linkUpArgv(device: string, mtu?: number): string[] {
  const argv = ["link", "set", "dev", device, "up"];
  if (mtu !== undefined) argv.push("mtu", String(mtu));
  return argv;
}

/** An IPv4 address found on an interface. */
export interface PresentAddress {
  /** The address. */
  address: string;
  /** The prefix length of its subnet. */
  prefix: number;
  /** Seconds it stays valid; Infinity for "forever". */
  validLifetime: number;
}

// What `ip -j addr show` prints for a lifetime of "forever".
const FOREVER = 0xffffffff;

/**
 * Lists the IPv4 addresses of every interface with their lifetimes, in one
 * `ip` process: a client adopting what an earlier run left on many
 * interfaces asks once, not once per interface.
 *
 * @param runner Runs `ip`.
 * @returns The addresses by interface name, each in the kernel's order;
 * interfaces without an IPv4 address are absent.
 * @throws {CommandFailedError} If `ip` fails.
 */
export async function listAddresses(
  runner: CommandRunner,
): Promise<Map<string, PresentAddress[]>> {
  const text = await runChecked(runner, [IP, "-j", "-4", "addr", "show"]);
  const links = JSON.parse(text || "[]") as {
    ifname?: unknown;
    addr_info?: {
      local?: unknown;
      prefixlen?: unknown;
      valid_life_time?: unknown;
    }[];
  }[];
  const byInterface = new Map<string, PresentAddress[]>();
  for (const link of links) {
    if (typeof link.ifname !== "string") continue;
    const found: PresentAddress[] = [];
    for (const info of link.addr_info ?? []) {
      const { local, prefixlen, valid_life_time: valid } = info;
      if (typeof local !== "string" || typeof prefixlen !== "number") {
        continue;
      }
      found.push({
        address: local,
        prefix: prefixlen,
        validLifetime: typeof valid === "number" && valid < FOREVER
          ? valid
          : Infinity,
      });
    }
    if (found.length > 0) byInterface.set(link.ifname, found);
  }
  return byInterface;
}
