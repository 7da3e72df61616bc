/**
 * End-to-end lease lifecycle: the real `ocidhcp` command in a network
 * namespace against each real DHCP server, observed through the kernel's
 * addresses and routes and the server's own lease store.
 */

import assert from "node:assert/strict";
import { MessageType, OptionCode } from "../../lib/dhcp/constants.ts";
import { dhcpMessageType } from "../../lib/dhcp/option_values.ts";
import { MIN_LEASE_TIME } from "../../lib/lab/dhcp_server.ts";
import { Lab, type ServerKind } from "../../lib/lab/lab.ts";
import { captureDhcp } from "./_capture.ts";
import { waitUntil } from "./_wait.ts";

const SERVERS: readonly ServerKind[] = ["dnsmasq", "kea", "udhcpd", "npm-dhcp"];

// dnsmasq will not lease for less than two minutes, so its timers are
// shortened with options 58 and 59 instead of the lease time.
function shortLease(
  server: ServerKind,
  seconds: { lease: number; t1: number; t2: number },
): { leaseTime: number; renewalTime: number; rebindingTime: number } {
  return {
    leaseTime: server === "dnsmasq" ? 120 : seconds.lease,
    renewalTime: seconds.t1,
    rebindingTime: seconds.t2,
  };
}

/**
 * Waits until a client run with --events has printed as many lease events
 * (default-route ones aside) as expected, then requires exactly those.
 */
async function expectEvents(
  client: { lines(stream: "stdout"): { text: string }[] },
  expected: readonly string[],
): Promise<void> {
  const events = () =>
    client.lines("stdout").map((line) =>
      (JSON.parse(line.text) as { event: string }).event
    ).filter((event) => event !== "default-route");
  await waitUntil(
    () => events().length >= expected.length,
    5_000,
    () => `events ${events().join(", ")}, expected ${expected.join(", ")}`,
  );
  assert.deepEqual(events(), expected);
}

/**
 * Runs a client until it has renewed once at T1, and checks that it kept
 * its address, that the kernel lifetime was refreshed, and that the server
 * recorded the renewal.
 */
async function renewsAtT1(
  lab: Lab,
  server: ServerKind,
  leaseTime: number,
): Promise<void> {
  const client = lab.spawnClient(["eth0"]);
  await client.waitFor(/installed the default route/, 15_000);
  const first = (await lab.addresses("eth0"))[0]?.address;
  const expiry = async () =>
    (await lab.serverLeases(0)).find((lease) => lease.address === first)
      ?.expires ?? 0;
  const before = await expiry();
  // RENEWING is unicast from the leased address to the server.
  await client.waitFor(/renewing \S+ with \S+/, 10_000);
  await waitUntil(
    () => (client.output().match(/leased \S+/g) ?? []).length >= 2,
    10_000,
    () => `no second lease after renewing:\n${client.output()}`,
  );
  // A renewal refreshes the kernel lifetime: seconds after T1 it is back
  // near the lease time, where without it at least T1 would be gone.
  const renewed = (await lab.addresses("eth0"))[0];
  assert.ok(
    renewed?.validLifetime !== undefined &&
      renewed.validLifetime >= leaseTime - 1,
    `valid lifetime ${renewed?.validLifetime} after renewal, lease ${leaseTime}`,
  );
  assert.equal(renewed?.address, first);
  assert.doesNotMatch(client.output(), /rebinding|expired|File exists/);
  // The server saw the renewal: its lease store moved the expiry on.
  // udhcpd writes its store only every few hours.
  if (server !== "udhcpd") {
    await waitUntil(
      async () => (await expiry()) > before,
      5_000,
      async () =>
        `${server} kept expiry ${before}: ` +
        JSON.stringify(await lab.serverLeases(0)),
    );
  }
  await client.stop();
}

for (const server of SERVERS) {
  Deno.test({
    name: `ocidhcp leases and applies an address from ${server}`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await using lab = await Lab.create({ server, leaseTime: 600 });
      const client = lab.spawnClient(["eth0"]);
      await client.waitFor(/installed the default route/, 15_000);
      const [address] = await lab.addresses("eth0");
      assert.ok(address, "eth0 has no address");
      const link = lab.links[0]!;
      assert.equal(address.prefix, 24);
      assert.ok(
        address.address.startsWith("198.18.0."),
        `leased ${address.address}, outside the pool`,
      );
      // The kernel counts the lifetime down from the lease time.
      assert.ok(
        address.validLifetime !== undefined &&
          address.validLifetime > 590 && address.validLifetime <= 600,
        `valid lifetime ${address.validLifetime}, expected about 600`,
      );
      const defaults = (await lab.routes()).filter((route) =>
        route.destination === "default"
      );
      assert.deepEqual(
        defaults.map((route) => [route.device, route.gateway, route.protocol]),
        [["eth0", link.router, "dhcp"]],
      );
      const leases = await lab.serverLeases(0);
      assert.ok(
        leases.some((lease) => lease.address === address.address),
        `${server} does not record ${address.address}: ` +
          JSON.stringify(leases),
      );
      const status = await client.stop();
      assert.equal(status.code, 0, client.output());
      // Stopping without --release leaves the address, and the default
      // route nobody else can take, for the next start to adopt.
      assert.equal((await lab.addresses("eth0"))[0]?.address, address.address);
      assert.deepEqual(
        (await lab.routes()).filter((r) => r.destination === "default")
          .map((r) => r.device),
        ["eth0"],
      );
    },
  });

  Deno.test({
    name: `ocidhcp renews at T1 and keeps its address with ${server}`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const times = shortLease(server, { lease: 8, t1: 2, t2: 6 });
      await using lab = await Lab.create({ server, ...times });
      const dir = await Deno.makeTempDir({ prefix: "ocidhcp-test-renew-" });
      const capture = await captureDhcp(lab, dir);
      try {
        await renewsAtT1(lab, server, times.leaseTime);
        // RFC 2131 4.3.2: in RENEWING the DHCPREQUEST goes unicast from the
        // leased address to the server, with ciaddr and without options 50
        // and 54 (the UDP socket, not the packet socket, sends it).
        const address = (await lab.addresses("eth0"))[0]?.address;
        const link = lab.links[0]!;
        const renewals = (await capture.packets()).filter(({ message }) =>
          message.op === 1 &&
          dhcpMessageType(message.options) === MessageType.REQUEST &&
          message.ciaddr !== "0.0.0.0"
        );
        assert.ok(renewals.length > 0, "no renewal captured");
        for (const { source, destination, message } of renewals) {
          assert.equal(source, address);
          assert.equal(destination, link.serverAddress);
          assert.equal(message.ciaddr, address);
          assert.equal(
            message.options.has(OptionCode.REQUESTED_IP_ADDRESS),
            false,
          );
          assert.equal(
            message.options.has(OptionCode.SERVER_IDENTIFIER),
            false,
          );
        }
      } finally {
        await capture.stop();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });

  Deno.test({
    name: `ocidhcp rebinds when ${server} misses the renewal`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await using lab = await Lab.create({
        server,
        ...shortLease(server, { lease: 12, t1: 2, t2: 6 }),
      });
      const client = lab.spawnClient(["--events", "eth0"]);
      await client.waitFor(/installed the default route/, 15_000);
      const first = (await lab.addresses("eth0"))[0]?.address;
      await lab.stopServer(0);
      await client.waitFor(/renewing/, 10_000);
      await lab.startServer(0);
      await client.waitFor(/rebinding/, 10_000);
      await waitUntil(
        () => /rebinding[\s\S]*leased \S+/.test(client.output()),
        10_000,
        () => `no lease after rebinding:\n${client.output()}`,
      );
      assert.equal((await lab.addresses("eth0"))[0]?.address, first);
      // Rebound, not expired and bound anew.
      await expectEvents(client, ["bound", "ready", "rebound"]);
      await client.stop();
    },
  });
}

// dnsmasq leases for two minutes at least, so its case takes that long.
for (const server of SERVERS) {
  const leaseTime = Math.max(6, MIN_LEASE_TIME[server]);
  Deno.test({
    name: `ocidhcp removes the address and routes when a ${server} lease ` +
      `expires`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await using lab = await Lab.create({ server, leaseTime });
      const client = lab.spawnClient(["--events", "eth0"]);
      await client.waitFor(/installed the default route/, 15_000);
      await lab.stopServer(0);
      await client.waitFor(/expired/, leaseTime * 1000 + 15_000);
      await waitUntil(
        async () => (await lab.addresses("eth0")).length === 0,
        2_000,
        () => `address still present after expiry:\n${client.output()}`,
      );
      const routes = await lab.routes();
      assert.deepEqual(routes.filter((r) => r.device === "eth0"), []);
      // Acquisition starts over and succeeds when the server is back.
      await lab.startServer(0);
      await waitUntil(
        async () => (await lab.addresses("eth0")).length === 1,
        20_000,
        () => `no new lease after the server returned:\n${client.output()}`,
      );
      await expectEvents(client, ["bound", "ready", "expired", "bound"]);
      await client.stop();
    },
  });
}

// Only dnsmasq refuses a renewal outright: kea (even when authoritative) and
// udhcpd stay silent to a renewal of an address their new pool no longer
// holds, and the npm package never sends a NAK. Those clients move on by
// rebinding and expiry, which the tests above cover.
for (const server of ["dnsmasq"] as const) {
  Deno.test({
    name: `ocidhcp restarts acquisition after a NAK from ${server}`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await using lab = await Lab.create({
        server,
        ...shortLease(server, { lease: 30, t1: 3, t2: 20 }),
      });
      const client = lab.spawnClient(["--events", "eth0"]);
      await client.waitFor(/leased \S+/, 15_000);
      // A new pool makes the server refuse the current address at renewal.
      await lab.reconfigureServer(0, {
        poolStart: "198.18.0.200",
        poolEnd: "198.18.0.220",
      });
      await client.waitFor(/DHCPNAK/, 15_000);
      await waitUntil(
        async () =>
          (await lab.addresses("eth0")).some((a) =>
            a.address.startsWith("198.18.0.2") &&
            Number(a.address.split(".")[3]) >= 200
          ),
        20_000,
        () => `no address from the new pool:\n${client.output()}`,
      );
      assert.equal((await lab.addresses("eth0")).length, 1);
      await expectEvents(client, ["bound", "ready", "nak", "bound"]);
      await client.stop();
    },
  });
}

for (const server of SERVERS) {
  Deno.test({
    name: `ocidhcp --release frees the lease on ${server}`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await using lab = await Lab.create({ server, leaseTime: 600 });
      const client = lab.spawnClient(["--release", "eth0"]);
      await client.waitFor(/installed the default route/, 15_000);
      const address = (await lab.addresses("eth0"))[0]?.address;
      assert.ok(address);
      const status = await client.stop();
      assert.equal(status.code, 0, client.output());
      assert.match(client.output(), /releasing/);
      assert.deepEqual(await lab.addresses("eth0"), []);
      assert.deepEqual(
        (await lab.routes()).filter((route) => route.device === "eth0"),
        [],
      );
      // The npm dhcp package ignores DHCPRELEASE, so its store proves
      // nothing.
      if (server === "npm-dhcp") return;
      await waitUntil(
        async () =>
          !(await lab.serverLeases(0)).some((lease) =>
            lease.address === address &&
            (lease.expires === undefined ||
              lease.expires > Date.now() / 1000 + 5)
          ),
        5_000,
        async () =>
          `${server} still holds ${address}: ` +
          JSON.stringify(await lab.serverLeases(0)),
      );
    },
  });
}
