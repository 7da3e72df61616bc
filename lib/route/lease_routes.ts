/**
 * The routes a DHCPv4 lease asks for, following RFC 3442: classless static
 * routes (option 121) when present, otherwise the first router (option 3).
 *
 * @module
 */

import type { ClasslessRoute } from "../dhcp/classless_routes.ts";
import { inSubnet, parseIpv4 } from "../net/ipv4.ts";
import { isDefaultRoute, type Route } from "./route.ts";

/** The lease fields that decide its routes. */
export interface LeaseRouteInput {
  /** The interface the lease was obtained on. */
  device: string;
  /** The leased address (yiaddr). */
  address: string;
  /** The leased prefix length (from option 1). */
  prefix: number;
  /** Option 3, in server order. */
  routers: readonly string[];
  /** Option 121, if the server sent it. */
  classlessStaticRoutes?: readonly ClasslessRoute[] | undefined;
  /**
   * The metric for every route of the lease.
   *
   * @default {0}
   */
  metric?: number;
}

/** The routes of a lease, with the default route kept apart. */
export interface LeaseRoutes {
  /** Routes to install directly, in order (on-link host routes first). */
  routes: Route[];
  /** The default route candidate, for the default-route policy only. */
  defaultRoute: Route | undefined;
}

const UNSPECIFIED = "0.0.0.0";

/**
 * Computes the routes of a lease. When option 121 is present option 3 is
 * ignored (RFC 3442 section 4); its 0.0.0.0/0 entry, or else the first
 * router, becomes the default route candidate, which is never installed from
 * here because only one interface may own the default route. A gateway
 * outside the leased subnet gets an on-link host route first, as RFC 3442
 * asks clients to reach such routers.
 *
 * @param input The lease fields.
 * @returns The routes to install and the default route candidate.
 * @throws {TypeError} If an address is not a valid IPv4 address.
 * @throws {RangeError} If a prefix is outside 0 to 32.
 *
 * @example Routes from option 3
 * ```ts
 * import { routesForLease } from "./lease_routes.ts";
 * const { defaultRoute } = routesForLease({
 *   device: "eth0",
 *   address: "198.18.0.10",
 *   prefix: 24,
 *   routers: ["198.18.0.1"],
 * });
 * // defaultRoute?.gateway === "198.18.0.1"
 * ```
 */
export function routesForLease(input: LeaseRouteInput): LeaseRoutes {
  const { device, address, prefix } = input;
  parseIpv4(address);
  const metric = input.metric ?? 0;
  const base = { device, table: "main", protocol: "dhcp", metric };
  const hostRoutes: Route[] = [];
  const routes: Route[] = [];
  let defaultRoute: Route | undefined;

  const via = (destination: string, gateway: string): Route => {
    if (gateway === UNSPECIFIED) {
      return { destination, ...base, scope: "link" };
    }
    if (
      !inSubnet(gateway, address, prefix) &&
      !hostRoutes.some((route) => route.destination === `${gateway}/32`)
    ) {
      hostRoutes.push({
        destination: `${gateway}/32`,
        ...base,
        scope: "link",
      });
    }
    return { destination, gateway, ...base };
  };

  if (input.classlessStaticRoutes !== undefined) {
    for (const entry of input.classlessStaticRoutes) {
      if (
        !Number.isInteger(entry.prefix) || entry.prefix < 0 || entry.prefix > 32
      ) {
        throw new RangeError(
          `Classless route prefix must be 0 to 32, got ${entry.prefix}`,
        );
      }
      parseIpv4(entry.destination);
      parseIpv4(entry.gateway);
      const destination = `${entry.destination}/${entry.prefix}`;
      const route = via(destination, entry.gateway);
      if (isDefaultRoute(route)) {
        // RFC 3442 allows several; the first one is the candidate.
        defaultRoute ??= { ...route, destination: "default" };
      } else {
        routes.push(route);
      }
    }
  } else {
    const router = input.routers[0];
    if (router !== undefined) {
      parseIpv4(router);
      defaultRoute = { ...via("default", router), destination: "default" };
    }
  }
  return { routes: [...hostRoutes, ...routes], defaultRoute };
}
