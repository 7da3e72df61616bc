import assert from "node:assert/strict";
import {
  isDefaultRoute,
  normalizeDestination,
  parseRoutes,
  routeArgv,
  RouteParseError,
} from "../../lib/route/route.ts";

// Captured from `ip -4 -j route show table main` in a namespace with a
// proto dhcp default route, a second default written as 0.0.0.0/0 with
// metric 100, a static route, connected routes and a dhcp host route.
const CAPTURED = `[{"dst":"default","gateway":"198.18.0.1","dev":"a0",` +
  `"protocol":"dhcp","flags":[]},{"dst":"default","gateway":"198.19.0.1",` +
  `"dev":"b0","metric":100,"flags":[]},{"dst":"10.1.0.0/16","gateway":` +
  `"198.19.0.1","dev":"b0","protocol":"static","flags":[]},{"dst":` +
  `"198.18.0.0/24","dev":"a0","protocol":"kernel","scope":"link",` +
  `"prefsrc":"198.18.0.2","flags":[]},{"dst":"198.19.0.0/24","dev":"b0",` +
  `"protocol":"kernel","scope":"link","prefsrc":"198.19.0.2","flags":[]},` +
  `{"dst":"198.51.100.1","dev":"b0","protocol":"dhcp","scope":"link",` +
  `"prefsrc":"198.19.0.2","flags":[]}]`;

Deno.test("routeArgv() builds ip arguments for each mode", async (t) => {
  const route = {
    destination: "default",
    gateway: "198.18.0.1",
    device: "eth0",
    protocol: "dhcp",
  };
  const cases: Array<[string, string[], string[]]> = [
    [
      "replace",
      routeArgv("replace", route),
      [
        "-4",
        "route",
        "replace",
        "default",
        "via",
        "198.18.0.1",
        "dev",
        "eth0",
        "table",
        "main",
        "proto",
        "dhcp",
        "metric",
        "0",
      ],
    ],
    [
      "add with metric, scope and source",
      routeArgv("add", {
        destination: "192.0.2.0/24",
        device: "eth1",
        table: "100",
        metric: 20,
        scope: "link",
        source: "198.18.0.5",
      }),
      [
        "-4",
        "route",
        "add",
        "192.0.2.0/24",
        "dev",
        "eth1",
        "table",
        "100",
        "metric",
        "20",
        "scope",
        "link",
        "src",
        "198.18.0.5",
      ],
    ],
    [
      "delete normalises 0.0.0.0/0",
      routeArgv("delete", { ...route, destination: "0.0.0.0/0", metric: 5 }),
      [
        "-4",
        "route",
        "del",
        "default",
        "via",
        "198.18.0.1",
        "dev",
        "eth0",
        "table",
        "main",
        "proto",
        "dhcp",
        "metric",
        "5",
      ],
    ],
    [
      "flush without destination or metric",
      routeArgv("flush", { device: "eth0", protocol: "dhcp" }),
      ["-4", "route", "flush", "dev", "eth0", "table", "main", "proto", "dhcp"],
    ],
    [
      "list across all devices",
      routeArgv("list", {}),
      ["-4", "-j", "route", "show", "table", "main"],
    ],
    [
      "list one device",
      routeArgv("list", { device: "eth0" }),
      ["-4", "-j", "route", "show", "table", "main", "dev", "eth0"],
    ],
  ];
  for (const [name, actual, expected] of cases) {
    await t.step(name, () => assert.deepEqual(actual, expected));
  }
});

Deno.test("routeArgv() rejects what ip would misread", async (t) => {
  await t.step("no destination", () => {
    assert.throws(() => routeArgv("add", { device: "eth0" }), TypeError);
  });
  await t.step("a device with a space", () => {
    assert.throws(
      () => routeArgv("replace", { destination: "default", device: "a b" }),
      /without spaces or quotes, got "a b"/,
    );
  });
  await t.step("a negative metric", () => {
    assert.throws(
      () => routeArgv("add", { destination: "default", metric: -1 }),
      RangeError,
    );
  });
});

Deno.test(
  "parseRoutes() reads ip -j output and normalises destinations",
  () => {
    const routes = parseRoutes(CAPTURED);
    assert.equal(routes.length, 6);
    assert.deepEqual(routes[0], {
      destination: "default",
      gateway: "198.18.0.1",
      device: "a0",
      protocol: "dhcp",
      table: "main",
    });
    assert.deepEqual(routes[1], {
      destination: "default",
      gateway: "198.19.0.1",
      device: "b0",
      metric: 100,
      table: "main",
    });
    assert.equal(routes[3]?.scope, "link");
    assert.equal(routes[3]?.source, "198.18.0.2");
    assert.equal(routes[5]?.destination, "198.51.100.1/32");
    assert.deepEqual(
      routes.filter(isDefaultRoute).map((route) => route.device),
      ["a0", "b0"],
    );
  },
);

Deno.test("parseRoutes() accepts empty output and 0.0.0.0/0", () => {
  assert.deepEqual(parseRoutes(""), []);
  assert.deepEqual(parseRoutes("[]\n"), []);
  const [route] = parseRoutes('[{"dst":"0.0.0.0/0","dev":"eth0"}]');
  assert.equal(route?.destination, "default");
});

Deno.test(
  "parseRoutes() throws RouteParseError on malformed output",
  async (t) => {
    const cases: Array<[string, string, RegExp]> = [
      ["not JSON", "Cannot find device", /must be JSON/],
      ["not an array", '{"dst":"default"}', /must be a JSON array/],
      ["not an object", "[1]", /Route 0 must be a JSON object/],
      ["no dst", '[{"dev":"eth0"}]', /Route 0 has no "dst"/],
      ["bad metric", '[{"dst":"default","metric":"5"}]', /"metric" must be/],
      ["bad dev", '[{"dst":"default","dev":3}]', /"dev" must be a string/],
    ];
    for (const [name, text, message] of cases) {
      await t.step(name, () => {
        assert.throws(() => parseRoutes(text), (error: unknown) => {
          assert.ok(error instanceof RouteParseError);
          assert.match(error.message, message);
          return true;
        });
      });
    }
  },
);

Deno.test("isDefaultRoute() treats default and 0.0.0.0/0 alike", () => {
  assert.equal(isDefaultRoute({ destination: "default" }), true);
  assert.equal(isDefaultRoute({ destination: "0.0.0.0/0" }), true);
  assert.equal(isDefaultRoute({ destination: "0.0.0.0/8" }), false);
  assert.equal(isDefaultRoute({ destination: "10.0.0.0/8" }), false);
  assert.equal(normalizeDestination("192.0.2.1"), "192.0.2.1/32");
});
