/**
 * End-to-end default-route policy: many interfaces, each on its own DHCP
 * server, clients started in every order, as one process for all and as one
 * process per interface. The interface whose name sorts first in byte order
 * must own the single default route every time, with no EEXIST anywhere;
 * renewals must not touch the route; failover must take under a second.
 *
 * OCIDHCP_REPEAT sets how many times each election scenario repeats
 * (default 20).
 */

import assert from "node:assert/strict";
import { Lab, type LabRoute } from "../../lib/lab/lab.ts";
import type { LabProcess } from "../../lib/lab/lab_process.ts";
import { compareInterfaceNames } from "../../lib/route/default_route_policy.ts";
import { waitUntil } from "./_wait.ts";

const REPEAT = Number(Deno.env.get("OCIDHCP_REPEAT") ?? "20");
const DECISION =
  /installed the default route|default route is owned by|not a default route/;

type Order = "ascending" | "descending" | "random" | "all at once";
const ORDERS: readonly Order[] = [
  "ascending",
  "descending",
  "random",
  "all at once",
];

// A small deterministic PRNG, so a failing order can be replayed.
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function ordered(names: readonly string[], order: Order, seed: number) {
  const sorted = [...names].sort(compareInterfaceNames);
  switch (order) {
    case "ascending":
      return sorted;
    case "descending":
      return sorted.reverse();
    case "random":
    case "all at once":
      return shuffled(names, seed);
  }
}

function defaults(routes: readonly LabRoute[]): LabRoute[] {
  return routes.filter((route) => route.destination === "default");
}

async function expectOwner(
  lab: Lab,
  owner: string,
  timeoutMs: number,
  clients: readonly LabProcess[],
): Promise<number> {
  const start = performance.now();
  let last: LabRoute[] = [];
  await waitUntil(
    async () => {
      last = defaults(await lab.routes());
      return last.length === 1 && last[0]?.device === owner;
    },
    timeoutMs,
    () =>
      `expected one default route on ${owner}, got ` +
      `${JSON.stringify(last)}\n` +
      clients.map((client) => client.output()).join("\n---\n"),
  );
  return performance.now() - start;
}

// Removes what a run left, so the next run starts from bare interfaces.
async function reset(lab: Lab, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await lab.run(["ip", "-4", "addr", "flush", "dev", name]);
  }
  await lab.run(["ip", "-4", "route", "flush", "proto", "dhcp"]);
}

async function election(
  lab: Lab,
  names: readonly string[],
  order: Order,
  perProcess: boolean,
  seed: number,
): Promise<void> {
  const sequence = ordered(names, order, seed);
  const owner = [...names].sort(compareInterfaceNames)[0]!;
  const clients: LabProcess[] = [];
  try {
    if (!perProcess) {
      const client = lab.spawnClient(sequence);
      clients.push(client);
      for (const name of names) {
        await client.waitFor(
          new RegExp(`${name}: (${DECISION.source})`),
          15_000,
        );
      }
    } else if (order === "all at once") {
      for (const name of sequence) clients.push(lab.spawnClient([name]));
      await Promise.all(clients.map((c) => c.waitFor(DECISION, 15_000)));
    } else {
      for (const name of sequence) {
        const client = lab.spawnClient([name]);
        clients.push(client);
        await client.waitFor(DECISION, 15_000);
      }
    }
    await expectOwner(lab, owner, 3_000, clients);
    for (const client of clients) {
      assert.doesNotMatch(client.output(), /File exists|EEXIST/);
    }
  } finally {
    await Promise.all(clients.map((client) => client.stop()));
  }
  await reset(lab, names);
}

const LABS: ReadonlyArray<readonly string[]> = [
  // "eth10" sorts before "eth2" in byte order.
  ["eth2", "eth10"],
  ["eth0", "eth1", "eth2", "eth3"],
  ["wan", "eth1", "eth0.100", "br-lan", "eth10", "eth2", "eth9", "lan-2"],
];

for (const names of LABS) {
  Deno.test({
    name: `the smallest name owns the only default route among ` +
      `${names.length} interfaces in every start order`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      await using lab = await Lab.create({ interfaces: names, leaseTime: 600 });
      for (const perProcess of [false, true]) {
        for (const order of ORDERS) {
          const mode = perProcess ? "one process each" : "one process";
          await t.step(`${order}, ${mode}, ${REPEAT} times`, async () => {
            for (let run = 0; run < REPEAT; run++) {
              await election(lab, names, order, perProcess, run + 1);
            }
          });
        }
      }
    },
  });
}

Deno.test({
  name: "renewals leave the default route untouched",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create({
      interfaces: ["eth0", "eth1"],
      server: "kea",
      leaseTime: 6,
      renewalTime: 1,
      rebindingTime: 5,
    });
    const clients = [lab.spawnClient(["eth1"]), lab.spawnClient(["eth0"])];
    await Promise.all(clients.map((c) => c.waitFor(DECISION, 15_000)));
    await expectOwner(lab, "eth0", 3_000, clients);
    const monitor = lab.spawn(["ip", "-4", "monitor", "route"]);
    try {
      // At least three renewals of each lease.
      await waitUntil(
        () =>
          clients.every((c) =>
            (c.output().match(/renewing/g) ?? []).length >= 3
          ),
        15_000,
        () => clients.map((c) => c.output()).join("\n---\n"),
      );
      await expectOwner(lab, "eth0", 1_000, clients);
      const events = monitor.lines().map((line) => line.text);
      assert.deepEqual(
        events.filter((line) => /default/.test(line)),
        [],
        `the default route changed during renewals:\n${events.join("\n")}`,
      );
    } finally {
      await monitor.stop();
      await Promise.all(clients.map((c) => c.stop()));
    }
  },
});

Deno.test({
  name: "the next interface takes the default route within a second when " +
    "the owner releases, stops or loses its link, and the owner takes it back",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using lab = await Lab.create({
      interfaces: ["eth0", "eth1", "eth2"],
      leaseTime: 600,
    });
    const start = async (name: string) => {
      const client = lab.spawnClient([name]);
      await client.waitFor(DECISION, 15_000);
      return client;
    };
    const eth2 = await start("eth2");
    const eth1 = await start("eth1");
    let eth0 = await start("eth0");
    const all = () => [eth0, eth1, eth2];
    try {
      await expectOwner(lab, "eth0", 2_000, all());

      await t.step("release", async () => {
        eth0.signal("SIGUSR2");
        const took = await expectOwner(lab, "eth1", 1_000, all());
        assert.ok(took < 1_000, `took ${took} ms`);
        await eth0.stop();
        eth0 = await start("eth0");
        await expectOwner(lab, "eth0", 1_000, all());
      });

      await t.step("process stopped", async () => {
        await eth0.stop();
        await expectOwner(lab, "eth1", 1_000, all());
        eth0 = await start("eth0");
        await expectOwner(lab, "eth0", 1_000, all());
      });

      await t.step("link down", async () => {
        await lab.linkDown(0, "client");
        await expectOwner(lab, "eth1", 1_000, all());
        await lab.linkUp(0, "client");
        await eth0.stop();
        eth0 = await start("eth0");
        await expectOwner(lab, "eth0", 2_000, all());
      });
    } finally {
      await Promise.all(all().map((client) => client.stop()));
    }
  },
});

Deno.test({
  name: "the next interface takes the default route when the owner's lease " +
    "expires, in one process",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create({
      interfaces: ["eth0", "eth1"],
      server: "kea",
      leaseTime: 6,
    });
    const client = lab.spawnClient(["eth0", "eth1"]);
    try {
      await client.waitFor(/eth0: installed the default route/, 15_000);
      await expectOwner(lab, "eth0", 3_000, [client]);
      await lab.stopServer(0);
      await client.waitFor(/eth0: lease of \S+ expired/, 15_000);
      await expectOwner(lab, "eth1", 1_000, [client]);
      await lab.startServer(0);
      await expectOwner(lab, "eth0", 15_000, [client]);
    } finally {
      await client.stop();
    }
  },
});

Deno.test({
  name: "across processes the next interface takes the default route within " +
    "a second when the owner is refused by NAK, expires or is removed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await t.step("NAK, and the skip logged naming the owner", async () => {
      // dnsmasq leases for two minutes at least; a short T1 brings the
      // renewal, and with it the NAK, within seconds.
      await using lab = await Lab.create({
        interfaces: ["eth0", "eth1"],
        leaseTime: 120,
        renewalTime: 3,
        rebindingTime: 20,
      });
      const eth0 = lab.spawnClient(["eth0"]);
      await eth0.waitFor(/eth0: installed the default route/, 15_000);
      // Started once eth0 owns the route, eth1 must leave it alone.
      const eth1 = lab.spawnClient(["eth1"]);
      try {
        await eth1.waitFor(DECISION, 15_000);
        await expectOwner(lab, "eth0", 2_000, [eth0, eth1]);
        // The skip is logged at info with the owner's name.
        assert.match(
          eth1.output(),
          /INF.*eth1: default route is owned by eth0/,
          eth1.output(),
        );
        await lab.reconfigureServer(0, {
          poolStart: "198.18.0.200",
          poolEnd: "198.18.0.220",
        });
        await eth0.waitFor(/DHCPNAK/, 20_000);
        await expectOwner(lab, "eth1", 1_000, [eth0, eth1]);
        // The new lease from the new pool takes the route back.
        await expectOwner(lab, "eth0", 15_000, [eth0, eth1]);
      } finally {
        await Promise.all([eth0.stop(), eth1.stop()]);
      }
    });

    await t.step("expiry", async () => {
      await using lab = await Lab.create({
        interfaces: ["eth0", "eth1"],
        server: "kea",
        leaseTime: 6,
      });
      const eth0 = lab.spawnClient(["eth0"]);
      const eth1 = lab.spawnClient(["eth1"]);
      try {
        await eth0.waitFor(/eth0: installed the default route/, 15_000);
        await eth1.waitFor(DECISION, 15_000);
        await lab.stopServer(0);
        await eth0.waitFor(/eth0: lease of \S+ expired/, 15_000);
        await expectOwner(lab, "eth1", 1_000, [eth0, eth1]);
      } finally {
        await Promise.all([eth0.stop(), eth1.stop()]);
      }
    });

    await t.step("interface removed", async () => {
      await using lab = await Lab.create({ interfaces: ["eth0", "eth1"] });
      const eth0 = lab.spawnClient(["eth0"]);
      const eth1 = lab.spawnClient(["eth1"]);
      try {
        await eth0.waitFor(/eth0: installed the default route/, 15_000);
        await eth1.waitFor(DECISION, 15_000);
        await lab.run(["ip", "link", "del", "eth0"]);
        await expectOwner(lab, "eth1", 1_000, [eth0, eth1]);
        assert.equal(eth0.exited, false, eth0.output());
      } finally {
        await Promise.all([eth0.stop(), eth1.stop()]);
      }
    });
  },
});
