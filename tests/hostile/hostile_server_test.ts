/**
 * The real `ocidhcp` against a hostile DHCP server: replies that lie about
 * the transaction, the client or the server; addresses no host may take;
 * absurd lease times and masks; an unreachable router; and a flood of
 * DHCPNAKs and DHCPOFFERs. The client must keep what it may keep, refuse
 * what it must refuse, and never crash or spin.
 */

import assert from "node:assert/strict";
import {
  addressesSeen,
  assertNoCrash,
  hostileLab,
  OTHER_MAC,
  pool,
  withClient,
} from "./_hostile_lab.ts";
import { encodeDomainSearch } from "../../lib/dhcp/domain_search.ts";
import type { Lab, LabProcess } from "../../lib/lab/lab.ts";

const TEST = { sanitizeResources: false, sanitizeOps: false } as const;

Deno.test({
  ...TEST,
  name: "ocidhcp drops replies with a wrong xid, chaddr or server identifier",
  async fn() {
    await using lab = await hostileLab();
    const good = pool(lab, 100);
    const liars = [151, 152, 153, 154, 155].map((n) => pool(lab, n));
    await withClient(lab, {
      address: good,
      // The lies come first, so a client that took one would show it.
      offer: [
        { xidDelta: 1, yiaddr: liars[0]! },
        { chaddr: OTHER_MAC, yiaddr: liars[1]! },
        {},
        { serverId: pool(lab, 2), yiaddr: liars[2]! },
      ],
      ack: [
        { xidDelta: 0x80000000, yiaddr: liars[0]! },
        { chaddr: OTHER_MAC, yiaddr: liars[1]! },
        { serverId: pool(lab, 2), yiaddr: liars[3]! },
        { serverId: pool(lab, 2), type: "NAK" },
        {},
        // After the honest ACK: a late NAK from a server not chosen.
        { serverId: pool(lab, 3), type: "NAK", yiaddr: liars[4]! },
      ],
    }, async (client) => {
      await client.waitFor(/leased \S+\.100\/24 /, 15_000);
      const seen = await addressesSeen(lab, 1500);
      assert.deepEqual([...seen], [good]);
      const output = client.output();
      assert.match(output, /dropped reply .*not our transaction/);
      assert.match(output, /dropped reply .*chaddr is not our hardware/);
      assert.match(output, /dropped reply .*not the chosen server/);
      assert.doesNotMatch(output, /refused .*\(DHCPNAK\)/);
      assertNoCrash(client);
    });
  },
});

Deno.test({
  ...TEST,
  name: "ocidhcp refuses addresses no host may take and applies none",
  async fn(t) {
    await using lab = await hostileLab();
    const cases = [
      ["0.0.0.0", "unspecified"],
      ["255.255.255.255", "limited broadcast"],
      ["127.0.0.1", "loopback"],
      ["224.0.0.1", "multicast"],
      [pool(lab, 0), "the subnet's network address"],
      [pool(lab, 255), "the subnet's broadcast address"],
    ] as const;
    for (const [address, what] of cases) {
      await t.step(`${address} (${what})`, async () => {
        await withClient(lab, { address }, async (client) => {
          const escaped = address.replaceAll(".", "\\.");
          await client.waitFor(
            new RegExp(
              `DHCPOFFER of ${escaped} |unusable DHCPACK.* ${escaped}/`,
            ),
            15_000,
          );
          // Long enough for a retry; nothing may reach the interface.
          const seen = await addressesSeen(lab, 2000);
          assert.deepEqual([...seen], []);
          assert.doesNotMatch(client.output(), /leased /);
          assertNoCrash(client);
        });
      });
    }
  },
});

function uint32(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

Deno.test({
  ...TEST,
  name: "ocidhcp rejects a lease time of 0 and a non-contiguous netmask",
  async fn(t) {
    await using lab = await hostileLab();
    const cases = [
      ["lease time 0", { "51": uint32(0) }, /lease time of 0/],
      ["mask 255.0.255.0", { "1": [255, 0, 255, 0] }, /subnet mask/],
    ] as const;
    for (const [name, options, reason] of cases) {
      await t.step(name, async () => {
        await withClient(
          lab,
          { address: pool(lab, 100), options },
          async (client) => {
            await client.waitFor(/\[WRN\].*unusable DHCPACK/, 15_000);
            assert.match(client.output(), reason);
            const seen = await addressesSeen(lab, 1500);
            assert.deepEqual([...seen], []);
            assertNoCrash(client);
          },
        );
      });
    }
  },
});

Deno.test({
  ...TEST,
  name: "ocidhcp accepts lease times of 1 s and forever",
  async fn(t) {
    await using lab = await hostileLab();
    const address = pool(lab, 100);
    await t.step("1 s: leased, renewed, never crashes", async () => {
      await withClient(
        lab,
        { address, options: { "51": uint32(1) } },
        async (client) => {
          await client.waitFor(/leased .* for 1 s/, 15_000);
          const seen = await addressesSeen(lab, 3000);
          assert.ok(seen.has(address), `saw ${[...seen]}`);
          assert.match(client.output(), /renewing /);
          assertNoCrash(client);
        },
      );
    });
    await t.step("0xffffffff: valid_lft forever", async () => {
      await withClient(
        lab,
        { address, options: { "51": uint32(0xffffffff) } },
        async (client) => {
          await client.waitFor(/leased .* for Infinity s/, 15_000);
          let found;
          for (let i = 0; i < 40 && found === undefined; i++) {
            found = (await lab.addresses("eth0")).find((a) =>
              a.address === address
            );
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          assert.ok(found, "the address was not applied");
          assert.equal(found.validLifetime, undefined, "not forever");
          assertNoCrash(client);
        },
      );
    });
  },
});

Deno.test({
  ...TEST,
  name: "ocidhcp corrects T1 above T2 and T2 above the lease with a warning",
  async fn(t) {
    await using lab = await hostileLab();
    const address = pool(lab, 100);
    const cases = [
      ["T1 > T2", 3000, 2000],
      ["T2 > lease", 1000, 5000],
    ] as const;
    for (const [name, t1, t2] of cases) {
      await t.step(name, async () => {
        await withClient(lab, {
          address,
          options: { "51": uint32(3600), "58": uint32(t1), "59": uint32(t2) },
        }, async (client) => {
          await client.waitFor(/leased .* for 3600 s/, 15_000);
          assert.match(
            client.output(),
            new RegExp(
              `\\[WRN\\].*corrected inconsistent timers T1 ${t1} s, ` +
                `T2 ${t2} s .* to T1 1800 s, T2 3150 s`,
            ),
          );
          const seen = await addressesSeen(lab, 500);
          assert.deepEqual([...seen], [address]);
          // Renewal at T1 = 1800 s, not at once.
          assert.doesNotMatch(client.output(), /renewing /);
          assertNoCrash(client);
        });
      });
    }
  },
});

Deno.test({
  ...TEST,
  name: "ocidhcp keeps its lease and runs on when the router is unreachable",
  async fn(t) {
    await using lab = await hostileLab();
    const address = pool(lab, 100);
    const cases = [
      ["outside the subnet", [203, 0, 113, 1]],
      ["multicast", [224, 0, 0, 1]],
      ["unspecified", [0, 0, 0, 0]],
      ["limited broadcast", [255, 255, 255, 255]],
      ["the leased address itself", address.split(".").map(Number)],
    ] as const;
    for (const [what, router] of cases) {
      await t.step(`router ${router.join(".")} (${what})`, async () => {
        await withClient(
          lab,
          { address, options: { "3": router } },
          async (client) => {
            await client.waitFor(/leased /, 15_000);
            // A failed route may be logged and retried; the address stays.
            const seen = await addressesSeen(lab, 2500);
            assert.deepEqual([...seen], [address]);
            assertNoCrash(client);
          },
        );
      });
    }
  },
});

Deno.test({
  ...TEST,
  name: "ocidhcp survives garbled replies and still takes the honest lease",
  async fn(t) {
    await using lab = await hostileLab();
    for (const seed of [1, 2, 3]) {
      await t.step(`seed ${seed}`, async () => {
        await withClient(lab, {
          address: pool(lab, 100),
          // 40 garbled copies of every OFFER and ACK, 1 to 3 bytes each.
          garble: { copies: 40, bytes: 1 + (seed % 3), seed },
        }, async (client) => {
          await client.waitFor(/leased /, 20_000);
          // Garbling spares the header, so yiaddr is always the honest one.
          const seen = await addressesSeen(lab, 1000);
          assert.deepEqual([...seen], [pool(lab, 100)]);
          assert.match(client.output(), /dropped (malformed message|reply)/);
          assertNoCrash(client);
        });
      });
    }
  },
});

/** utime + stime in clock ticks, and VmRSS in kB, of a process. */
async function usage(pid: number): Promise<{ ticks: number; rssKb: number }> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the parenthesised command name, which may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const rss = /VmRSS:\s+(\d+) kB/.exec(status);
  assert.ok(rss, `no VmRSS for ${pid}`);
  return { ticks, rssKb: Number(rss[1]) };
}

/** How many replies the responder's flood has sent so far. */
function floodSent(responder: LabProcess): number {
  const last = responder.lines().findLast((line) =>
    line.text.startsWith("flood:")
  );
  return Number(/\d+/.exec(last?.text ?? "0")![0]);
}

/** Clock ticks per second: USER_HZ, 100 on Linux. */
const TICKS_PER_SECOND = 100;
const FLOOD_SECONDS = 6;

Deno.test({
  ...TEST,
  name: "ocidhcp joins options split over instances in a 1400-byte DHCPACK",
  async fn() {
    await using lab = await hostileLab();
    const names = Array.from(
      { length: 24 },
      (_, i) => `zone-${i}.hostile-${i % 5}.example`,
    );
    const search = encodeDomainSearch(names);
    // 50 routes of 8 bytes: 10.0.N.0/24 via the server.
    const server = lab.links[0]!.serverAddress.split(".").map(Number);
    const routes = Array.from({ length: 50 }, (_, i) => [24, 10, 0, i]);
    const option121 = routes.flatMap((route) => [...route, ...server]);
    // Both values need more than one instance (RFC 3396).
    assert.ok(search.length > 255, `search list of ${search.length} bytes`);
    await withClient(lab, {
      address: pool(lab, 100),
      options: { "119": [...search], "121": option121 },
    }, async (client) => {
      const line = await client.waitFor(/"event":"bound"/, 15_000);
      const event = JSON.parse(line.slice(line.indexOf("{")));
      assert.deepEqual(event.lease.domainSearch, names);
      assert.equal(event.lease.classlessStaticRoutes.length, 50);
      await waitForRoutes(lab, 50);
      assertNoCrash(client);
    }, { args: ["--events"] });
  },
});

/** Waits until the client namespace has n routes into 10.0.0.0/16. */
async function waitForRoutes(lab: Lab, n: number): Promise<void> {
  let found = 0;
  for (let i = 0; i < 100 && found < n; i++) {
    found = (await lab.routes()).filter((route) =>
      route.destination.startsWith("10.0.")
    ).length;
    if (found < n) {
      await new Promise((resolve) =>
        setTimeout(resolve, 50)
      );
    }
  }
  assert.equal(found, n, "routes from option 121");
}

Deno.test({
  ...TEST,
  name: "a bound ocidhcp ignores a flood of stale NAKs and foreign OFFERs",
  async fn() {
    await using lab = await hostileLab();
    const address = pool(lab, 100);
    await withClient(lab, {
      address,
      // The flood starts once the client is bound and reuses the xid of
      // its finished transaction.
      flood: {
        everyMs: 5,
        naks: 3,
        offerFrom: [pool(lab, 1), pool(lab, 2)],
        delayMs: 1000,
      },
    }, async (client, responder) => {
      await client.waitFor(/leased /, 15_000);
      await responder.waitFor(/flood: [1-9]\d{2,} replies sent/, 15_000);
      const before = await usage(client.pid);
      const seen = await addressesSeen(lab, FLOOD_SECONDS * 1000);
      const after = await usage(client.pid);
      assert.deepEqual([...seen], [address]);
      const cpu = (after.ticks - before.ticks) /
        (TICKS_PER_SECOND * FLOOD_SECONDS);
      console.log(
        `bound flood: client used ${(cpu * 100).toFixed(0)}% of a core, ` +
          `VmRSS ${after.rssKb} kB`,
      );
      assert.ok(cpu < 0.5, `client used ${cpu * 100}% of a core`);
      assert.ok(after.rssKb < 120_000, `VmRSS ${after.rssKb} kB`);
      // A bound client has closed its packet socket, so the flood should
      // cost it nothing; it must not heed the NAKs either way.
      assert.ok(floodSent(responder) > 300 * FLOOD_SECONDS, "no flood");
      assert.doesNotMatch(client.output(), /refused .*\(DHCPNAK\)/);
      assertNoCrash(client);
    });
  },
});

Deno.test({
  ...TEST,
  name:
    "ocidhcp survives a flood of NAKs and OFFERs with bounded CPU and memory",
  async fn() {
    await using lab = await hostileLab();
    await withClient(lab, {
      address: pool(lab, 100),
      // No DHCPACK ever, so the client keeps its packet socket open and
      // sees the whole flood: every 5 ms, 3 DHCPNAKs for the last xid and
      // 2 DHCPOFFERs from two servers, about 600 NAKs and 400 OFFERs per
      // second.
      ack: [],
      flood: {
        everyMs: 5,
        naks: 3,
        offerFrom: [pool(lab, 1), pool(lab, 2)],
      },
    }, async (client, responder) => {
      await responder.waitFor(/flood: [1-9]\d{2,} replies sent/, 15_000);
      const before = await usage(client.pid);
      await new Promise((r) => setTimeout(r, FLOOD_SECONDS * 1000));
      const after = await usage(client.pid);
      const sent = floodSent(responder);
      assert.ok(
        sent > 300 * FLOOD_SECONDS,
        `the flood sent only ${sent} replies`,
      );
      const cpu = (after.ticks - before.ticks) /
        (TICKS_PER_SECOND * FLOOD_SECONDS);
      const lines = client.lines().map((line) => line.text);
      const count = (pattern: RegExp): number =>
        lines.filter((line) => pattern.test(line)).length;
      console.log(
        `flood: client used ${(cpu * 100).toFixed(0)}% of a core, ` +
          `VmRSS ${after.rssKb} kB, ${sent} replies sent; ` +
          `${count(/dropped reply/)} dropped, ${count(/refused/)} NAKs ` +
          `heeded, ${count(/leased /)} leases`,
      );
      assert.ok(cpu < 0.5, `client used ${cpu * 100}% of a core`);
      assert.ok(after.rssKb < 120_000, `VmRSS ${after.rssKb} kB`);
      // The client saw the flood and handled it.
      assert.ok(count(/dropped reply/) > 200 * FLOOD_SECONDS, "flood unseen");
      assertNoCrash(client);
    });
  },
});
