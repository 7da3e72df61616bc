/**
 * SIGKILL in every DHCP state, then a restart: the client must come back
 * from whatever the killed process left on the interfaces. A lease it held
 * comes back by INIT-REBOOT (checked on the wire), each interface ends with
 * one address, and the routing table with one default route and no
 * duplicates.
 *
 * The client serves eth0 and eth1; eth0 is driven into the state under test
 * while eth1 is bound. When eth0 had no lease, eth1 owned the default route
 * at the kill, so the restart must hand it to eth0, which sorts first.
 */

import assert from "node:assert/strict";
import { Lab, type LabOptions, type LabProcess } from "../../lib/lab/lab.ts";
import type { DhcpMessage } from "../../lib/dhcp/message.ts";
import {
  dhcpMessageType,
  requestedIpAddress,
  serverIdentifier,
} from "../../lib/dhcp/option_values.ts";
import { startResponder } from "../hostile/_hostile_lab.ts";
import { captureDhcp, type DhcpCapture } from "./_capture.ts";
import { waitUntil } from "./_wait.ts";

const READY = /ready: .* configured/;
const DISCOVER = 1;
const REQUEST = 3;
const ACK = 5;
const NAMES = ["DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK"];

/** One state to kill eth0 in. */
interface Case {
  /** The RFC 2131 state eth0 is in at the kill. */
  state: "SELECTING" | "REQUESTING" | "BOUND" | "RENEWING" | "REBINDING";
  /** Whether eth0 holds a lease in that state. */
  leased: boolean;
  /** The server and lease times for every link. */
  lab?: Pick<
    LabOptions,
    "server" | "leaseTime" | "renewalTime" | "rebindingTime"
  >;
  /**
   * Prepares link 0 before the client starts.
   *
   * @returns What brings link 0's server back for the restart.
   */
  before?: (lab: Lab) => Promise<() => Promise<void>>;
  /**
   * Drives eth0 into the state once the client runs.
   *
   * @returns What brings link 0's server back for the restart.
   */
  enter: (lab: Lab, client: LabProcess, recorded: Recorded) => Promise<
    () => Promise<void>
  >;
}

/** Waits until an interface's lease is applied and recorded. */
type Recorded = (name: string) => Promise<void>;

const nothing = () => Promise.resolve();

const CASES: readonly Case[] = [
  {
    state: "SELECTING",
    leased: false,
    // No server on link 0: no DHCPOFFER ever comes.
    before: async (lab) => {
      await lab.stopServer(0);
      return () => lab.startServer(0);
    },
    enter: async (_lab, client, recorded) => {
      await inState(client, "SELECTING");
      await recorded("eth1");
      return nothing;
    },
  },
  {
    state: "REQUESTING",
    leased: false,
    // A responder that offers but never answers the DHCPREQUEST holds the
    // client in REQUESTING for its retransmissions (4 s, then 8 s...).
    before: async (lab) => {
      await lab.stopServer(0);
      const responder = await startResponder(lab, {
        address: lab.links[0]!.network.replace(/\.0$/, ".150"),
        ack: [],
      });
      return async () => {
        await responder.stop();
        await lab.startServer(0);
      };
    },
    enter: async (_lab, client, recorded) => {
      await recorded("eth1");
      await inState(client, "REQUESTING");
      return nothing;
    },
  },
  {
    state: "BOUND",
    leased: true,
    enter: async (_lab, client) => {
      await client.waitFor(READY, 15_000);
      return nothing;
    },
  },
  {
    state: "RENEWING",
    leased: true,
    // With the server stopped after the bind, the unicast DHCPREQUESTs from
    // T1 on go unanswered; T2 is far enough off not to be reached. Kea
    // sends T1 as configured; dnsmasq leases for two minutes at least and
    // sent T1 60 s for a configured 2 s (lease 120 s, T2 100 s).
    lab: { server: "kea", leaseTime: 30, renewalTime: 3, rebindingTime: 20 },
    enter: async (lab, client) => {
      await client.waitFor(READY, 15_000);
      await lab.stopServer(0);
      // A renewal answered before the server stopped starts another cycle.
      await inState(
        client,
        "RENEWING",
        /eth0: sending DHCPREQUEST .* to 198\./,
      );
      return () => lab.startServer(0);
    },
  },
  {
    state: "REBINDING",
    leased: true,
    // From T2 on, broadcast DHCPREQUESTs to a stopped server.
    lab: { server: "kea", leaseTime: 30, renewalTime: 1, rebindingTime: 2 },
    enter: async (lab, client) => {
      await client.waitFor(READY, 15_000);
      await lab.stopServer(0);
      await inState(client, "REBINDING");
      return () => lab.startServer(0);
    },
  },
];

/**
 * Waits until eth0's last state change, in the debug log, entered `state`
 * and, if given, a line matching `then` followed it.
 */
function inState(
  client: LabProcess,
  state: Case["state"],
  then?: RegExp,
): Promise<void> {
  const entered = `eth0: state `;
  return waitUntil(
    () => {
      const output = client.output();
      const at = output.lastIndexOf(entered);
      if (at < 0 || lastState(client, "eth0") !== state) return false;
      return then === undefined || then.test(output.slice(at));
    },
    15_000,
    () => `eth0 did not reach ${state}:\n${client.output()}`,
  );
}

/** What `ocidhcp status --json` says of one interface. */
interface StatusEntry {
  interface: string;
  state: string;
  address?: string;
  pid: number;
  stale: boolean;
  defaultRouteOwner?: boolean;
}

/** The state eth0 entered last, from the client's debug log. */
function lastState(client: LabProcess, name: string): string | undefined {
  const pattern = new RegExp(`${name}: state \\S+ -> (\\S+)`, "g");
  return [...client.output().matchAll(pattern)].at(-1)?.[1];
}

function describe(message: DhcpMessage): string {
  const type = dhcpMessageType(message.options) ?? 0;
  return `${NAMES[type - 1] ?? type} ciaddr ${message.ciaddr} yiaddr ` +
    `${message.yiaddr} requested ${requestedIpAddress(message.options)}`;
}

/**
 * Asserts what the restarted client said on one interface: INIT-REBOOT for
 * the recorded address (RFC 2131 4.3.2: option 50 set, ciaddr zero, no
 * server identifier) answered by an ACK with no DHCPDISCOVER before it, or,
 * with nothing recorded, a DHCPDISCOVER first.
 */
function assertRestartOnWire(
  messages: DhcpMessage[],
  previous: string | undefined,
): void {
  const log = messages.map(describe).join("\n");
  const sent = messages.filter((m) => m.op === 1);
  const first = sent[0];
  assert.ok(first !== undefined, `the client sent nothing:\n${log}`);
  if (previous === undefined) {
    assert.equal(dhcpMessageType(first.options), DISCOVER, log);
    return;
  }
  assert.equal(dhcpMessageType(first.options), REQUEST, log);
  assert.equal(requestedIpAddress(first.options), previous, log);
  assert.equal(first.ciaddr, "0.0.0.0", log);
  assert.equal(serverIdentifier(first.options), undefined, log);
  const ack = messages.findIndex((m) =>
    m.op === 2 && dhcpMessageType(m.options) === ACK
  );
  assert.ok(ack >= 0, `no DHCPACK:\n${log}`);
  assert.equal(messages[ack]!.yiaddr, previous, log);
  assert.ok(
    messages.slice(0, ack).every((m) =>
      dhcpMessageType(m.options) !== DISCOVER
    ),
    `a DHCPDISCOVER before the DHCPACK:\n${log}`,
  );
}

async function run(c: Case): Promise<void> {
  await using lab = await Lab.create({ interfaces: 2, ...c.lab });
  const dir = await Deno.makeTempDir({ prefix: "ocidhcp-test-" });
  const captures: DhcpCapture[] = [];
  const clients: LabProcess[] = [];
  // What brings link 0's server back; run again on failure, so that a
  // responder does not outlive the test.
  const restores: Array<() => Promise<void>> = [];
  const args = [
    "--log-level",
    "debug",
    "--state-dir",
    `${dir}/state`,
    "--resolv-conf",
    "none",
    "eth0",
    "eth1",
  ];
  try {
    if (c.before !== undefined) restores.push(await c.before(lab));
    const first = lab.spawnClient(args);
    clients.push(first);
    // The record is written after the lease is applied; a kill before it
    // would leave nothing to INIT-REBOOT from.
    const recorded: Recorded = (name) =>
      waitUntil(
        () =>
          Deno.stat(`${dir}/state/${name}.lease.json`).then(
            () => true,
            () => false,
          ),
        15_000,
        () => `${name} was never recorded:\n${first.output()}`,
      );
    restores.push(await c.enter(lab, first, recorded));
    assert.equal(lastState(first, "eth0"), c.state, first.output());
    first.signal("SIGKILL");
    await first.status;
    const before = {
      eth0: (await lab.addresses("eth0"))[0]?.address,
      eth1: (await lab.addresses("eth1"))[0]?.address,
    };
    // The killed process left its configuration: the restart inherits it.
    assert.equal(before.eth0 !== undefined, c.leased, first.output());
    assert.ok(before.eth1 !== undefined, first.output());
    for (const restore of restores.splice(0)) await restore();

    await Deno.mkdir(`${dir}/pcap`);
    for (const device of ["eth0", "eth1"]) {
      captures.push(await captureDhcp(lab, `${dir}/pcap`, device));
    }
    const second = lab.spawnClient(args);
    clients.push(second);
    await second.waitFor(READY, 15_000);
    const router = lab.links[0]!.router;
    await waitUntil(
      async () => {
        const defaults = (await lab.routes()).filter((r) =>
          r.destination === "default"
        );
        return defaults.length === 1 && defaults[0]?.device === "eth0";
      },
      2_000,
      async () =>
        `the default route is not on eth0 alone: ` +
        `${JSON.stringify(await lab.routes())}\n${second.output()}`,
    );

    const eth0 = await lab.addresses("eth0");
    const eth1 = await lab.addresses("eth1");
    assert.equal(eth0.length, 1, JSON.stringify(eth0));
    assert.deepEqual(eth1.map((a) => a.address), [before.eth1]);
    if (c.leased) assert.equal(eth0[0]?.address, before.eth0);

    assertRestartOnWire(
      await captures[0]!.messages(),
      c.leased ? before.eth0 : undefined,
    );
    assertRestartOnWire(await captures[1]!.messages(), before.eth1);

    const routes = await lab.routes();
    const table = JSON.stringify(routes);
    const defaults = routes.filter((r) => r.destination === "default");
    // One default route whatever its metric or protocol: the kernel only
    // refuses exact duplicates.
    assert.equal(defaults.length, 1, table);
    assert.equal(defaults[0]?.device, "eth0", table);
    assert.equal(defaults[0]?.gateway, router, table);
    const keys = routes.map((r) =>
      `${r.destination} ${r.gateway} ${r.device} ${r.metric}`
    );
    assert.equal(new Set(keys).size, keys.length, table);
    // Nor one destination twice on a device under another metric.
    const paths = routes.map((r) => `${r.destination} ${r.device}`);
    assert.equal(new Set(paths).size, paths.length, table);

    // No snapshot of the killed process is left for `status` to report.
    const status = lab.spawnClient(["status", "--json"]);
    assert.equal((await status.status).code, 0, status.output());
    const report = JSON.parse(
      status.lines("stdout").map((line) => line.text).join("\n"),
    ) as { interfaces: StatusEntry[] };
    const entries = report.interfaces.map((entry) => ({
      interface: entry.interface,
      state: entry.state,
      address: entry.address,
      pid: entry.pid,
      stale: entry.stale,
      defaultRouteOwner: entry.defaultRouteOwner,
    })).sort((a, b) => a.interface < b.interface ? -1 : 1);
    assert.deepEqual(entries, [
      {
        interface: "eth0",
        state: "BOUND",
        address: eth0[0]?.address,
        pid: second.pid,
        stale: false,
        defaultRouteOwner: true,
      },
      {
        interface: "eth1",
        state: "BOUND",
        address: before.eth1,
        pid: second.pid,
        stale: false,
        defaultRouteOwner: false,
      },
    ]);
    assert.equal(second.exited, false, second.output());
    // What the killed process left was taken over, not fought with.
    assert.doesNotMatch(
      second.output(),
      /File exists|EEXIST|failed|Uncaught|\[(ERR|WRN)\]/,
    );
  } catch (error) {
    const output = clients.map((client, i) =>
      `client run ${i + 1}:\n${client.output()}`
    ).join("\n");
    throw new Error(`${(error as Error).message}\n${output}`, {
      cause: error,
    });
  } finally {
    for (const client of clients) await client.stop();
    for (const capture of captures) await capture.stop();
    for (const restore of restores) await restore().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "after SIGKILL in any state a restart keeps or regains one address " +
    "per interface, by INIT-REBOOT when leased, with one default route",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    for (const c of CASES) {
      await t.step(`killed in ${c.state}`, () => run(c));
    }
  },
});
