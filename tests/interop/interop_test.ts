/**
 * Interoperability of the real `ocidhcp` with each DHCP server the lab
 * runs, for what the generic lifecycle tests do not cover: classless static
 * routes (option 121, RFC 3442) and the domain search list (option 119,
 * RFC 3397), as the kernel's routes, the client's resolv.conf and the
 * `--events` stream show them.
 *
 * Every server in the lab can send both options (dnsmasq and udhcpd by
 * name, Kea and the npm `dhcp` package as raw bytes), so no cell of the
 * matrix is skipped.
 */

import assert from "node:assert/strict";
import {
  type ClasslessRoute,
  Lab,
  type LabProcess,
  type LabRoute,
  type ServerKind,
} from "../../lib/lab/lab.ts";
import { waitUntil } from "../cli/_wait.ts";

const SERVERS: readonly ServerKind[] = ["dnsmasq", "kea", "udhcpd", "npm-dhcp"];
const TEST = { sanitizeResources: false, sanitizeOps: false } as const;

// Link 0 of every lab is 198.18.0.0/24 with the router (option 3) at .1.
// No classless route goes through .1, so a route through it would show
// that option 3 was used although option 121 was sent (RFC 3442 section 3:
// the client must then ignore option 3).
const ROUTES: readonly ClasslessRoute[] = [
  { destination: "10.20.0.0", prefix: 16, gateway: "198.18.0.253" },
  { destination: "0.0.0.0", prefix: 0, gateway: "198.18.0.254" },
  // A gateway outside the leased subnet (RFC 3442 leaves it to the
  // client to reach it): only an on-link host route makes it usable.
  { destination: "10.30.0.0", prefix: 24, gateway: "192.0.2.254" },
];
const SEARCH = ["corp.example", "lab.example"] as const;
// Option 15 must not be the search list when option 119 is present.
const DOMAIN = "other.example";

interface EventLine {
  event: string;
  interface?: string;
  owner?: string | null;
  lease?: {
    domainSearch: string[];
    domainName: string | null;
    routers: string[];
    classlessStaticRoutes: ClasslessRoute[] | null;
  };
}

function events(client: LabProcess): EventLine[] {
  return client.lines("stdout").flatMap((line) => {
    try {
      return [JSON.parse(line.text) as EventLine];
    } catch {
      return [];
    }
  });
}

function summary(routes: readonly LabRoute[]): string[] {
  return routes
    .filter((route) => route.device === "eth0" && route.protocol === "dhcp")
    .map((route) => `${route.destination} via ${route.gateway ?? "link"}`)
    .sort();
}

const EXPECTED_ROUTES = [
  "10.20.0.0/16 via 198.18.0.253",
  "10.30.0.0/24 via 192.0.2.254",
  "192.0.2.254 via link",
  "default via 198.18.0.254",
];

async function resolvConf(lab: Lab): Promise<string> {
  return await Deno.readTextFile(
    `/etc/netns/${lab.clientNamespace}/resolv.conf`,
  );
}

for (const server of SERVERS) {
  Deno.test({
    ...TEST,
    name: `ocidhcp applies options 121 and 119 from ${server}`,
    async fn(t) {
      await using lab = await Lab.create({
        server,
        // dnsmasq leases for two minutes at least; T1 of 2 s makes every
        // server renew during the test.
        leaseTime: 120,
        renewalTime: 2,
        rebindingTime: 6,
        classlessRoutes: ROUTES,
        domainSearch: SEARCH,
        domainName: DOMAIN,
      });
      const client = lab.spawnClient(["--events", "eth0"]);
      const explain = async () =>
        `routes: ${JSON.stringify(await lab.routes())}\n${client.output()}`;
      try {
        await client.waitFor(/ready: eth0 configured/, 15_000);

        await t.step(
          "option 121 routes are installed, option 3 is not",
          async () => {
            const routes = await lab.routes();
            assert.deepEqual(summary(routes), EXPECTED_ROUTES, await explain());
            assert.ok(
              !routes.some((route) => route.gateway === "198.18.0.1"),
              `a route goes through the option 3 router: ${await explain()}`,
            );
          },
        );

        await t.step(
          "the 0.0.0.0/0 entry is the arbiter's default route",
          async () => {
            assert.match(client.output(), /eth0: installed the default route/);
            const owners = events(client).filter((e) =>
              e.event === "default-route"
            );
            assert.deepEqual(owners.map((e) => e.owner), ["eth0"]);
            const defaults = (await lab.routes()).filter((route) =>
              route.destination === "default"
            );
            assert.deepEqual(
              defaults.map((r) => [r.device, r.gateway, r.protocol]),
              [["eth0", "198.18.0.254", "dhcp"]],
            );
          },
        );

        await t.step(
          "a gateway off the subnet gets an on-link host route",
          async () => {
            const host = (await lab.routes()).find((route) =>
              route.destination === "192.0.2.254"
            );
            assert.ok(host, await explain());
            assert.equal(host.gateway, undefined);
            assert.equal(host.device, "eth0");
            // The kernel takes the route through it only with the host route
            // in place; ask it which way a packet to that network would go.
            const result = await lab.run([
              "ip",
              "-j",
              "route",
              "get",
              "10.30.0.9",
            ]);
            assert.equal(result.code, 0, result.stderr);
            const [via] = JSON.parse(result.stdout) as { gateway?: string }[];
            assert.equal(via?.gateway, "192.0.2.254");
          },
        );

        await t.step(
          "option 119 is the search list in resolv.conf",
          async () => {
            const text = await resolvConf(lab);
            const search = text.split("\n").filter((line) =>
              line.startsWith("search")
            );
            assert.deepEqual(search, [`search ${SEARCH.join(" ")}`], text);
            assert.match(text, /^nameserver 198\.18\.0\.53$/m);
            assert.doesNotMatch(text, new RegExp(DOMAIN.replace(".", "\\.")));
          },
        );

        await t.step("the --events lease carries options 119 and 121", () => {
          const bound = events(client).find((e) => e.event === "bound");
          assert.ok(bound?.lease, client.output());
          assert.deepEqual(bound.lease.domainSearch, [...SEARCH]);
          assert.equal(bound.lease.domainName, DOMAIN);
          assert.deepEqual(bound.lease.routers, ["198.18.0.1"]);
          assert.deepEqual(bound.lease.classlessStaticRoutes, ROUTES);
        });

        await t.step(
          "a renewal keeps the same routes and search list",
          async () => {
            await waitUntil(
              () => events(client).some((e) => e.event === "renewed"),
              10_000,
              explain,
            );
            // Let the renewal's changes be applied before looking.
            await new Promise((resolve) => setTimeout(resolve, 300));
            assert.deepEqual(
              summary(await lab.routes()),
              EXPECTED_ROUTES,
              await explain(),
            );
            assert.match(await resolvConf(lab), /^search corp\.example lab\./m);
            assert.doesNotMatch(client.output(), /File exists|\[ERR\]|\[WRN\]/);
          },
        );

        await t.step(
          "a release removes the routes and the search list",
          async () => {
            client.signal("SIGUSR2");
            await waitUntil(
              () => events(client).some((e) => e.event === "released"),
              10_000,
              explain,
            );
            await waitUntil(
              async () => summary(await lab.routes()).length === 0,
              5_000,
              explain,
            );
            await waitUntil(
              async () => !/^search/m.test(await resolvConf(lab)),
              5_000,
              async () => `resolv.conf:\n${await resolvConf(lab)}`,
            );
          },
        );
      } finally {
        await client.stop();
      }
    },
  });
}
