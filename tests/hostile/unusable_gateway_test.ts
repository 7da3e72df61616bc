/**
 * Gateways and masks no host may use, from a hostile server: the lease may
 * be kept, but no route may go through them and no address may be /0.
 */

import assert from "node:assert/strict";
import {
  addressesSeen,
  assertNoCrash,
  hostileLab,
  pool,
  withClient,
} from "./_hostile_lab.ts";

const TEST = { sanitizeResources: false, sanitizeOps: false } as const;

Deno.test({
  ...TEST,
  name: "ocidhcp installs no route through a gateway no host may use",
  async fn(t) {
    await using lab = await hostileLab();
    const address = pool(lab, 100);
    const bad = [
      "0.0.0.0",
      "255.255.255.255",
      "224.0.0.1",
      "127.0.0.1",
      address,
    ];
    const cases = bad.flatMap((gateway) => {
      const bytes = gateway.split(".").map(Number);
      const router = [`router ${gateway}`, { "3": bytes }] as const;
      // In option 121 a gateway of 0.0.0.0 is the common way to say "on
      // link" (dhcpcd, systemd-networkd), so it is allowed there.
      if (gateway === "0.0.0.0") return [router];
      return [
        router,
        [`classless default route via ${gateway}`, { "121": [0, ...bytes] }],
      ] as const;
    });
    for (const [name, options] of cases) {
      await t.step(name, async () => {
        await withClient(lab, { address, options }, async (client) => {
          await client.waitFor(/leased /, 15_000);
          const seen = await addressesSeen(lab, 1000);
          assert.deepEqual([...seen], [address]);
          const routes = await lab.routes();
          const through = routes.filter((route) =>
            (route.gateway !== undefined && bad.includes(route.gateway)) ||
            bad.includes(route.destination) ||
            // "default dev eth0": every destination on the link.
            (route.destination === "default" && route.gateway === undefined)
          );
          assert.deepEqual(through, [], JSON.stringify(routes));
          assertNoCrash(client);
        });
      });
    }
  },
});

Deno.test({
  ...TEST,
  name: "ocidhcp refuses a subnet mask of 0.0.0.0",
  async fn() {
    await using lab = await hostileLab();
    await withClient(lab, {
      address: pool(lab, 100),
      options: { "1": [0, 0, 0, 0] },
    }, async (client) => {
      await client.waitFor(/leased |unusable DHCPACK/, 15_000);
      await addressesSeen(lab, 500);
      const prefixes = (await lab.addresses("eth0")).map((a) => a.prefix);
      assert.ok(!prefixes.includes(0), `applied a /0 address`);
      assertNoCrash(client);
    });
  },
});
