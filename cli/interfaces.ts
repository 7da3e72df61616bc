/**
 * Which interfaces the client serves when none is named.
 *
 * @module
 */

import type { LinkInfo } from "../lib/ip/link.ts";

/** An interface left out, and why. */
export interface SkippedInterface {
  /** The interface name. */
  name: string;
  /** Why DHCP cannot run on it, in lowercase words. */
  reason: string;
}

/** The outcome of {@linkcode chooseInterfaces}. */
export interface InterfaceChoice {
  /** The interfaces to serve, in index order. */
  chosen: string[];
  /** The other interfaces, in index order. */
  skipped: SkippedInterface[];
}

const ZERO_HARDWARE_ADDRESS = /^(00:)*00$/;

function reasonToSkip(link: LinkInfo): string | undefined {
  if (link.linkType === "loopback") return "loopback";
  // RFC 2131 runs over a broadcast medium with a hardware address in
  // chaddr. The fallback tunnels a kernel creates in every namespace once
  // their module is loaded (tunl0, gre0, sit0, ip6tnl0...) are "ipip",
  // "gre", "sit" or "tunnel6"; a tun device is "none".
  if (link.linkType !== "ether") return `link type ${link.linkType || "none"}`;
  if (!link.broadcast) return "no broadcast";
  // gretap0 and erspan0, the fallback devices of ip_gre, are Ethernet-like
  // but have no address until configured as a tunnel.
  if (ZERO_HARDWARE_ADDRESS.test(link.hardwareAddress)) {
    return "no hardware address";
  }
  return undefined;
}

/**
 * Chooses the interfaces DHCP can run on: Ethernet-like links (veth,
 * bridges, VLANs, macvlan, ipvlan, bonds) that broadcast and have a
 * hardware address. Loopback, tunnels and point-to-point links are skipped.
 *
 * @param links The interfaces of the namespace, as `ip -j link show` lists
 * them.
 * @returns The names to serve and the others with the reason for each.
 *
 * @example Skip loopback and a tun device
 * ```ts
 * import { chooseInterfaces } from "./interfaces.ts";
 * import { parseLinks } from "../lib/ip/link.ts";
 * const links = parseLinks(JSON.stringify([
 *   { ifindex: 1, ifname: "lo", flags: ["LOOPBACK"], link_type: "loopback" },
 *   { ifindex: 2, ifname: "tun0", flags: ["POINTOPOINT"], link_type: "none" },
 *   {
 *     ifindex: 3,
 *     ifname: "eth0",
 *     flags: ["BROADCAST"],
 *     link_type: "ether",
 *     address: "02:42:ac:11:00:02",
 *   },
 * ]));
 * console.log(chooseInterfaces(links).chosen); // ["eth0"]
 * ```
 */
export function chooseInterfaces(links: readonly LinkInfo[]): InterfaceChoice {
  const choice: InterfaceChoice = { chosen: [], skipped: [] };
  for (const link of links) {
    const reason = reasonToSkip(link);
    if (reason === undefined) choice.chosen.push(link.name);
    else choice.skipped.push({ name: link.name, reason });
  }
  return choice;
}
