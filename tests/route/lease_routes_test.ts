import assert from "node:assert/strict";
import { routesForLease } from "../../lib/route/lease_routes.ts";

const lease = { device: "eth0", address: "198.18.0.10", prefix: 24 };
const tag = { device: "eth0", table: "main", protocol: "dhcp", metric: 0 };

Deno.test("routesForLease() uses the first router without option 121", () => {
  const { routes, defaultRoute } = routesForLease({
    ...lease,
    routers: ["198.18.0.1", "198.18.0.2"],
  });
  assert.deepEqual(routes, []);
  assert.deepEqual(defaultRoute, {
    destination: "default",
    gateway: "198.18.0.1",
    ...tag,
  });
});

Deno.test("routesForLease() offers no default route without a router", () => {
  const result = routesForLease({ ...lease, routers: [] });
  assert.deepEqual(result, { routes: [], defaultRoute: undefined });
});

Deno.test(
  "routesForLease() ignores option 3 when option 121 is present",
  () => {
    const { routes, defaultRoute } = routesForLease({
      ...lease,
      routers: ["198.18.0.1"],
      classlessStaticRoutes: [
        { destination: "10.0.0.0", prefix: 8, gateway: "198.18.0.254" },
      ],
    });
    assert.equal(defaultRoute, undefined);
    assert.deepEqual(routes, [
      { destination: "10.0.0.0/8", gateway: "198.18.0.254", ...tag },
    ]);
  },
);

Deno.test("routesForLease() turns a 0.0.0.0/0 entry into the candidate", () => {
  const { routes, defaultRoute } = routesForLease({
    ...lease,
    routers: ["198.18.0.1"],
    metric: 50,
    classlessStaticRoutes: [
      { destination: "0.0.0.0", prefix: 0, gateway: "198.18.0.254" },
      { destination: "192.0.2.0", prefix: 24, gateway: "0.0.0.0" },
    ],
  });
  assert.deepEqual(defaultRoute, {
    destination: "default",
    gateway: "198.18.0.254",
    ...tag,
    metric: 50,
  });
  assert.deepEqual(routes, [
    { destination: "192.0.2.0/24", ...tag, metric: 50, scope: "link" },
  ]);
});

Deno.test(
  "routesForLease() adds on-link host routes for gateways off the subnet",
  () => {
    const { routes, defaultRoute } = routesForLease({
      ...lease,
      routers: [],
      classlessStaticRoutes: [
        { destination: "10.0.0.0", prefix: 8, gateway: "203.0.113.1" },
        { destination: "0.0.0.0", prefix: 0, gateway: "203.0.113.1" },
        { destination: "10.9.0.0", prefix: 16, gateway: "198.18.0.9" },
      ],
    });
    assert.deepEqual(routes, [
      { destination: "203.0.113.1/32", ...tag, scope: "link" },
      { destination: "10.0.0.0/8", gateway: "203.0.113.1", ...tag },
      { destination: "10.9.0.0/16", gateway: "198.18.0.9", ...tag },
    ]);
    assert.equal(defaultRoute?.gateway, "203.0.113.1");
  },
);

Deno.test(
  "routesForLease() makes an on-link default route for router 0.0.0.0",
  () => {
    const { defaultRoute } = routesForLease({
      ...lease,
      routers: ["0.0.0.0"],
    });
    assert.deepEqual(defaultRoute, {
      destination: "default",
      ...tag,
      scope: "link",
    });
  },
);

Deno.test("routesForLease() rejects invalid input", () => {
  assert.throws(
    () => routesForLease({ ...lease, routers: ["198.18.0.300"] }),
    TypeError,
  );
  assert.throws(
    () =>
      routesForLease({
        ...lease,
        routers: [],
        classlessStaticRoutes: [
          { destination: "10.0.0.0", prefix: 33, gateway: "198.18.0.1" },
        ],
      }),
    RangeError,
  );
});
