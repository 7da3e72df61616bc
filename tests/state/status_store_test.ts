import assert from "node:assert/strict";
import { claimInterface } from "../../lib/route/interface_claim.ts";
import { ensureRuntimeDir } from "../../lib/route/runtime_dir.ts";
import {
  type ClientSnapshot,
  readStatus,
  readStatuses,
  removeStatus,
  snapshotOf,
  statusPath,
  writeStatus,
} from "../../lib/state/status_store.ts";
import { sampleLease } from "./_fixtures.ts";
import { captureLogs } from "../_log.ts";

const WALL = 1_800_000_000_000;

async function withRuntimeDir(
  run: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ocidhcp-t-status-" });
  try {
    await ensureRuntimeDir(dir);
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function snapshot(overrides: Partial<ClientSnapshot> = {}): ClientSnapshot {
  return {
    interface: "eth0",
    pid: Deno.pid,
    state: "BOUND",
    address: "198.18.0.100",
    prefix: 24,
    serverIdentifier: "198.18.0.1",
    routers: ["198.18.0.1"],
    domainNameServers: [],
    leaseTime: 3600,
    obtainedAt: WALL,
    renewAt: WALL + 1_800_000,
    rebindAt: WALL + 3_150_000,
    expiresAt: WALL + 3_600_000,
    nextEventAt: WALL + 1_800_000,
    defaultRouteOwner: true,
    updatedAt: WALL,
    ...overrides,
  };
}

Deno.test("snapshotOf() turns monotonic lease times into wall-clock times", async (t) => {
  // Monotonic 6000 is wall WALL; the lease began at monotonic 1000.
  const now = { wall: WALL, monotonic: 6000 };
  await t.step("a bound client", () => {
    assert.deepEqual(
      snapshotOf({
        interface: "eth0",
        state: "BOUND",
        lease: sampleLease(),
        deadline: 1000 + 1_800_000,
        defaultRouteOwner: false,
        pid: 42,
      }, now),
      {
        interface: "eth0",
        pid: 42,
        state: "BOUND",
        address: "198.18.0.100",
        prefix: 24,
        serverIdentifier: "198.18.0.1",
        routers: ["198.18.0.1"],
        domainNameServers: ["198.18.0.53", "198.18.0.54"],
        leaseTime: 3600,
        obtainedAt: WALL - 5000,
        renewAt: WALL - 5000 + 1_800_000,
        rebindAt: WALL - 5000 + 3_150_000,
        expiresAt: WALL - 5000 + 3_600_000,
        nextEventAt: WALL - 5000 + 1_800_000,
        defaultRouteOwner: false,
        updatedAt: WALL,
      },
    );
  });
  await t.step("a client still selecting, with this process's pid", () => {
    assert.deepEqual(
      snapshotOf(
        { interface: "eth1", state: "SELECTING", deadline: 10_000 },
        now,
      ),
      {
        interface: "eth1",
        pid: Deno.pid,
        state: "SELECTING",
        nextEventAt: WALL + 4000,
        updatedAt: WALL,
      },
    );
  });
  await t.step("an infinite lease never expires", () => {
    const result = snapshotOf({
      interface: "eth0",
      state: "BOUND",
      lease: sampleLease({
        leaseTime: Infinity,
        renewalTime: Infinity,
        rebindingTime: Infinity,
      }),
      deadline: Infinity,
    }, now);
    assert.equal(result.expiresAt, Infinity);
    assert.equal(result.renewAt, Infinity);
    assert.equal("nextEventAt" in result, false);
  });
});

Deno.test("readStatus() reports a snapshot as live while its process holds the interface lock", async () => {
  await withRuntimeDir(async (dir) => {
    await writeStatus(dir, snapshot());
    const claim = await claimInterface(dir, "eth0");
    try {
      assert.deepEqual(await readStatus(dir, "eth0"), {
        ...snapshot(),
        stale: false,
      });
    } finally {
      claim.release();
    }
    assert.equal((await readStatus(dir, "eth0"))?.stale, true);
  });
});

Deno.test("readStatus() reports a snapshot as stale when another process holds the lock", async () => {
  await withRuntimeDir(async (dir) => {
    await writeStatus(dir, snapshot({ pid: 1 }));
    // This process holds the lock and its pid is in the lock file, so the
    // snapshot of process 1 describes an earlier holder.
    const claim = await claimInterface(dir, "eth0");
    try {
      assert.equal((await readStatus(dir, "eth0"))?.stale, true);
    } finally {
      claim.release();
    }
  });
});

Deno.test("writeStatus() keeps infinite times across the JSON file", async () => {
  await withRuntimeDir(async (dir) => {
    const infinite = snapshot({
      leaseTime: Infinity,
      renewAt: Infinity,
      rebindAt: Infinity,
      expiresAt: Infinity,
    });
    await writeStatus(dir, infinite);
    const record = JSON.parse(await Deno.readTextFile(statusPath(dir, "eth0")));
    assert.equal(record.expiresAt, null);
    assert.deepEqual(await readStatus(dir, "eth0"), {
      ...infinite,
      stale: true,
    });
  });
});

Deno.test("readStatuses() lists readable snapshots by name and warns about others", async () => {
  await withRuntimeDir(async (dir) => {
    await writeStatus(dir, snapshot({ interface: "eth1" }));
    await writeStatus(dir, snapshot({ interface: "eth0", state: "RENEWING" }));
    await Deno.writeTextFile(`${dir}/status/eth2.json`, '{"interface":');
    await Deno.writeTextFile(
      `${dir}/status/eth3.json`,
      JSON.stringify(snapshot({ interface: "eth3", pid: -5 })),
    );
    await Deno.writeTextFile(
      `${dir}/status/eth4.json`,
      JSON.stringify(snapshot({ interface: "eth0" })),
    );
    // Not snapshots: a writer's temporary file and a stray file.
    await Deno.writeTextFile(`${dir}/status/.eth5.json.1.x.tmp`, "{");
    await Deno.writeTextFile(`${dir}/status/notes.txt`, "x");
    let names: string[] = [];
    const logs = await captureLogs(async () => {
      const statuses = await readStatuses(dir);
      names = statuses.map((s) => `${s.interface} ${s.state} ${s.stale}`);
    });
    assert.deepEqual(names, ["eth0 RENEWING true", "eth1 BOUND true"]);
    assert.deepEqual(
      logs.map((log) => [log.level, log.properties.interface]),
      [["warning", "eth2"], ["warning", "eth3"], ["warning", "eth4"]],
    );
  });
});

Deno.test("readStatuses() of a runtime directory without status gives none", async () => {
  await withRuntimeDir(async (dir) => {
    assert.deepEqual(await readStatuses(dir), []);
    assert.deepEqual(await readStatuses(`${dir}/missing`), []);
  });
});

Deno.test("removeStatus() withdraws a snapshot and accepts a missing one", async () => {
  await withRuntimeDir(async (dir) => {
    await writeStatus(dir, snapshot());
    await removeStatus(dir, "eth0");
    assert.equal(await readStatus(dir, "eth0"), undefined);
    await removeStatus(dir, "eth0");
  });
});
