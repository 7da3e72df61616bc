/**
 * Which interface owns the IPv4 default route: the one whose name sorts
 * first in byte order among the interfaces that offer one and are not opted
 * out. Pure functions, so the rule is tested apart from the kernel.
 *
 * @module
 */

/** How to treat a default route that ocidhcp did not install. */
export type ForeignPolicy = "compete" | "respect";

/** The current owner of the default route, from the routing table. */
export interface DefaultRouteOwner {
  /** The device of the default route. */
  device: string;
  /** Its protocol tag; anything but "dhcp" is foreign. */
  protocol?: string | undefined;
  /**
   * Whether an ocidhcp client of this namespace installed it and can no
   * longer hold it: its candidacy ended, its process died or its link lost
   * carrier. Such a route is taken over whatever the names.
   */
  stale?: boolean;
}

/** The input of {@linkcode decideDefaultRoute}. */
export interface DefaultRouteInput {
  /** The interface asking. */
  interface: string;
  /** Whether the interface is configured never to own the default route. */
  optedOut: boolean;
  /** Whether its lease yields a default route. */
  candidate: boolean;
  /** The current owner, if there is a default route. */
  currentOwner: DefaultRouteOwner | undefined;
  /**
   * When the interface owns the route already: whether the route in the
   * table differs from the one its lease offers now, as after a renewal
   * that brought another router.
   */
  routeChanged?: boolean;
  /**
   * What to do with a foreign default route: "compete" treats it as owned by
   * its device, "respect" never replaces it.
   */
  foreign: ForeignPolicy;
}

/** What to do with the default route, and why (for the logs). */
export interface DefaultRouteDecision {
  /** Install (replace), keep as is, or leave to another interface. */
  action: "install" | "keep" | "skip";
  /** Why, in lowercase words. */
  reason: string;
}

const encoder = new TextEncoder();

/**
 * Compares interface names by their UTF-8 bytes, as Go compares strings, so
 * that "eth10" sorts before "eth2" whatever the locale.
 *
 * @param a One name.
 * @param b The other name.
 * @returns Negative when `a` sorts first, positive when `b` does, else 0.
 *
 * @example Byte order
 * ```ts
 * import { compareInterfaceNames } from "./default_route_policy.ts";
 * compareInterfaceNames("eth10", "eth2") < 0; // true
 * ```
 */
export function compareInterfaceNames(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const length = Math.min(x.length, y.length);
  for (let i = 0; i < length; i++) {
    const difference = (x[i] ?? 0) - (y[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return x.length - y.length;
}

/**
 * Elects the owner of the default route among candidate interfaces.
 *
 * @param candidates Interfaces that offer a default route.
 * @returns The name that sorts first in byte order, or undefined if none.
 */
export function electOwner(candidates: readonly string[]): string | undefined {
  let owner: string | undefined;
  for (const name of candidates) {
    if (owner === undefined || compareInterfaceNames(name, owner) < 0) {
      owner = name;
    }
  }
  return owner;
}

/**
 * Decides what one interface does with the default route, given who owns it
 * now. A renewal by the owner is "keep", so nothing is touched.
 *
 * @param input The interface, its candidacy and the current owner.
 * @returns The action and the reason.
 *
 * @example A smaller name takes over
 * ```ts
 * import { decideDefaultRoute } from "./default_route_policy.ts";
 * decideDefaultRoute({
 *   interface: "eth0",
 *   optedOut: false,
 *   candidate: true,
 *   currentOwner: { device: "eth1", protocol: "dhcp" },
 *   foreign: "compete",
 * }).action; // "install"
 * ```
 */
export function decideDefaultRoute(
  input: DefaultRouteInput,
): DefaultRouteDecision {
  const { currentOwner: owner } = input;
  if (input.optedOut) {
    return { action: "skip", reason: "opted out of the default route" };
  }
  if (!input.candidate) {
    return { action: "skip", reason: "lease offers no default route" };
  }
  if (owner === undefined) {
    return { action: "install", reason: "no default route yet" };
  }
  if (owner.device === input.interface) {
    return input.routeChanged === true
      ? { action: "install", reason: "its route changed" }
      : { action: "keep", reason: "already owns the default route" };
  }
  if (owner.stale === true) {
    return {
      action: "install",
      reason: `takes over from ${owner.device}, which can no longer hold it`,
    };
  }
  const foreign = owner.protocol !== "dhcp";
  if (foreign && input.foreign === "respect") {
    return {
      action: "skip",
      reason: `respecting the foreign default route on ${owner.device}`,
    };
  }
  if (compareInterfaceNames(input.interface, owner.device) < 0) {
    return {
      action: "install",
      reason: `takes over from ${owner.device}, which sorts after it`,
    };
  }
  return {
    action: "skip",
    reason: `${owner.device} sorts first and owns the default route`,
  };
}
