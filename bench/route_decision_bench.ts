/**
 * The routing decisions a client makes on every lease: the routes a lease
 * asks for, the parse of the routing table read back from `ip -j route`,
 * and the default-route decision.
 *
 * @module
 */

import {
  decideDefaultRoute,
  type DefaultRouteInput,
} from "../lib/route/default_route_policy.ts";
import {
  type LeaseRouteInput,
  routesForLease,
} from "../lib/route/lease_routes.ts";
import { parseRoutes } from "../lib/route/route.ts";

// What `ip -j -4 route show table main` printed in a lab namespace with four
// leased interfaces, one of them owning the default route.
const ROUTE_TABLE = JSON.stringify([
  {
    dst: "default",
    gateway: "198.18.0.1",
    dev: "eth0",
    protocol: "dhcp",
    flags: [],
  },
  ...[0, 1, 2, 3].map((i) => ({
    dst: `198.18.${i}.0/24`,
    dev: `eth${i}`,
    protocol: "kernel",
    scope: "link",
    prefsrc: `198.18.${i}.100`,
    flags: [],
  })),
]);

const ROUTER_LEASE: LeaseRouteInput = {
  device: "eth0",
  address: "198.18.0.100",
  prefix: 24,
  routers: ["198.18.0.1"],
};

// Option 121 with an off-subnet gateway, which needs an on-link host route.
const CLASSLESS_LEASE: LeaseRouteInput = {
  device: "eth1",
  address: "198.18.1.100",
  prefix: 24,
  routers: ["198.18.1.1"],
  classlessStaticRoutes: [
    { destination: "10.0.0.0", prefix: 8, gateway: "198.18.1.1" },
    { destination: "172.16.0.0", prefix: 12, gateway: "198.18.2.254" },
    { destination: "192.0.2.0", prefix: 24, gateway: "0.0.0.0" },
    { destination: "0.0.0.0", prefix: 0, gateway: "198.18.1.1" },
  ],
};

const TAKE_OVER: DefaultRouteInput = {
  interface: "eth0",
  optedOut: false,
  candidate: true,
  currentOwner: { device: "eth1", protocol: "dhcp" },
  foreign: "compete",
};

const RENEWAL: DefaultRouteInput = {
  ...TAKE_OVER,
  currentOwner: { device: "eth0", protocol: "dhcp" },
};

Deno.bench("routesForLease with option 3", { baseline: true }, () => {
  routesForLease(ROUTER_LEASE);
});

Deno.bench("routesForLease with option 121 (4 routes)", () => {
  routesForLease(CLASSLESS_LEASE);
});

Deno.bench("parseRoutes of a 5-route main table", () => {
  parseRoutes(ROUTE_TABLE);
});

Deno.bench("decideDefaultRoute when a smaller name takes over", () => {
  decideDefaultRoute(TAKE_OVER);
});

Deno.bench("decideDefaultRoute on the owner's renewal", () => {
  decideDefaultRoute(RENEWAL);
});

Deno.bench("a bound lease end to end: routes, table, decision", () => {
  const { defaultRoute } = routesForLease(ROUTER_LEASE);
  const owner = parseRoutes(ROUTE_TABLE).find((route) =>
    route.destination === "default"
  );
  decideDefaultRoute({
    interface: ROUTER_LEASE.device,
    optedOut: false,
    candidate: defaultRoute !== undefined,
    currentOwner: owner?.device === undefined
      ? undefined
      : { device: owner.device, protocol: owner.protocol },
    foreign: "compete",
  });
});
