/**
 * Network interfaces as iproute2 reports them.
 *
 * The hardware address and index come from `ip -j link show` rather than
 * /sys: Deno refuses reads under /sys without `--allow-all`.
 *
 * @module
 */

import { CommandFailedError, type CommandRunner } from "../process/command.ts";
import { IP } from "./batch.ts";
import { DeviceNotFoundError } from "./device_not_found_error.ts";

export { DeviceNotFoundError };

/** One network interface. */
export interface LinkInfo {
  /** The interface name, such as "eth0". */
  name: string;
  /** The kernel's interface index. */
  index: number;
  /** The hardware address as six lowercase hex pairs joined by colons. */
  hardwareAddress: string;
  /** The link type iproute2 reports, such as "ether" or "loopback". */
  linkType: string;
  /** The MTU in bytes. */
  mtu: number;
  /** Whether the interface is administratively up. */
  up: boolean;
  /** Whether the link has carrier (LOWER_UP). */
  carrier: boolean;
  /** Whether the link can broadcast (BROADCAST), as DHCPDISCOVER must. */
  broadcast: boolean;
}

interface RawLink {
  ifname?: unknown;
  ifindex?: unknown;
  address?: unknown;
  link_type?: unknown;
  mtu?: unknown;
  flags?: unknown;
}

function toLinkInfo(raw: RawLink): LinkInfo | undefined {
  if (typeof raw.ifname !== "string" || typeof raw.ifindex !== "number") {
    return undefined;
  }
  const flags = Array.isArray(raw.flags) ? raw.flags : [];
  return {
    name: raw.ifname,
    index: raw.ifindex,
    hardwareAddress: typeof raw.address === "string" ? raw.address : "",
    linkType: typeof raw.link_type === "string" ? raw.link_type : "",
    mtu: typeof raw.mtu === "number" ? raw.mtu : 0,
    up: flags.includes("UP"),
    carrier: flags.includes("LOWER_UP"),
    broadcast: flags.includes("BROADCAST"),
  };
}

/**
 * Parses the JSON of `ip -j link show`.
 *
 * @param json What iproute2 printed.
 * @returns The interfaces it describes; entries without name or index are
 * skipped.
 * @throws {SyntaxError} If the text is not a JSON array.
 */
export function parseLinks(json: string): LinkInfo[] {
  const raw: unknown = JSON.parse(json);
  if (!Array.isArray(raw)) {
    throw new SyntaxError("Expected a JSON array from ip -j link show");
  }
  return raw.flatMap((entry: RawLink) => toLinkInfo(entry) ?? []);
}

/**
 * Converts a hardware address such as "02:00:5e:10:00:01" to bytes.
 *
 * @param text Colon-separated hex pairs.
 * @returns The bytes.
 * @throws {TypeError} If the text is not colon-separated hex pairs.
 */
export function parseHardwareAddress(text: string): Uint8Array {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2})*$/i.test(text)) {
    throw new TypeError(`Invalid hardware address: "${text}"`);
  }
  return new Uint8Array(text.split(":").map((pair) => parseInt(pair, 16)));
}

/**
 * Reads one interface.
 *
 * @param runner Runs `ip`.
 * @param name The interface name.
 * @returns The interface.
 * @throws {DeviceNotFoundError} If there is no such interface.
 */
export async function showLink(
  runner: CommandRunner,
  name: string,
): Promise<LinkInfo> {
  const argv = [IP, "-j", "link", "show", "dev", name];
  const result = await runner.run(argv);
  if (result.code !== 0 && /does not exist/.test(result.stderr)) {
    throw new DeviceNotFoundError(name, argv, result);
  }
  if (result.code !== 0) throw new CommandFailedError(argv, result);
  const link = parseLinks(result.stdout)[0];
  if (link === undefined) throw new DeviceNotFoundError(name, argv, result);
  return link;
}
