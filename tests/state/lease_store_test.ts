import assert from "node:assert/strict";
import {
  isStoredLeaseExpired,
  LEASE_RECORD_VERSION,
  LeaseStore,
  rebootAddress,
  type StoredLease,
} from "../../lib/state/lease_store.ts";
import { StateError } from "../../lib/state/state_error.ts";
import { sampleLease } from "./_fixtures.ts";
import { captureLogs } from "../_log.ts";

const WALL = 1_800_000_000_000;
// The lease was acquired at monotonic 1000, read 5 s later.
const NOW = { wall: WALL, monotonic: 6000 };

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ocidhcp-t-state-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("LeaseStore.save() then load() gives the lease with wall-clock times", async () => {
  await withDir(async (dir) => {
    const store = new LeaseStore(`${dir}/nested/state`);
    await store.save(
      sampleLease({
        domainName: "corp.example.test",
        classlessStaticRoutes: [
          { destination: "10.0.0.0", prefix: 8, gateway: "198.18.0.2" },
        ],
        interfaceMtu: 1400,
      }),
      NOW,
    );
    const stored = await store.load("eth0");
    const expected: StoredLease = {
      version: LEASE_RECORD_VERSION,
      interface: "eth0",
      address: "198.18.0.100",
      prefix: 24,
      serverIdentifier: "198.18.0.1",
      routers: ["198.18.0.1"],
      domainNameServers: ["198.18.0.53", "198.18.0.54"],
      domainName: "corp.example.test",
      domainSearch: ["example.test"],
      classlessStaticRoutes: [
        { destination: "10.0.0.0", prefix: 8, gateway: "198.18.0.2" },
      ],
      interfaceMtu: 1400,
      leaseTime: 3600,
      renewalTime: 1800,
      rebindingTime: 3150,
      obtainedAt: WALL - 5000,
      expiresAt: WALL - 5000 + 3_600_000,
    };
    assert.deepEqual(stored, expected);
    assert.equal(store.path("eth0"), `${dir}/nested/state/eth0.lease.json`);
  });
});

Deno.test("LeaseStore.save() writes one JSON record that leaves out absent options", async () => {
  await withDir(async (dir) => {
    const store = new LeaseStore(dir);
    await store.save(sampleLease(), NOW);
    const record = JSON.parse(await Deno.readTextFile(store.path("eth0")));
    assert.equal(record.version, 1);
    assert.equal("domainName" in record, false);
    assert.equal("classlessStaticRoutes" in record, false);
    assert.equal("interfaceMtu" in record, false);
    assert.equal("options" in record, false);
    assert.equal("acquiredAt" in record, false);
    // Only the record itself is left: no temporary files.
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["eth0.lease.json"]);
  });
});

Deno.test("LeaseStore keeps an infinite lease as null in the file and Infinity in memory", async () => {
  await withDir(async (dir) => {
    const store = new LeaseStore(dir);
    await store.save(
      sampleLease({
        leaseTime: Infinity,
        renewalTime: Infinity,
        rebindingTime: Infinity,
      }),
      NOW,
    );
    const record = JSON.parse(await Deno.readTextFile(store.path("eth0")));
    assert.equal(record.leaseTime, null);
    assert.equal(record.expiresAt, null);
    const stored = await store.load("eth0");
    assert.equal(stored?.leaseTime, Infinity);
    assert.equal(stored?.expiresAt, Infinity);
    assert.equal(rebootAddress(stored, WALL + 1e12), "198.18.0.100");
  });
});

Deno.test("LeaseStore.load() of an interface without a record gives undefined quietly", async () => {
  await withDir(async (dir) => {
    let stored: StoredLease | undefined | "not loaded" = "not loaded";
    const logs = await captureLogs(async () => {
      stored = await new LeaseStore(`${dir}/missing`).load("eth1");
    });
    assert.equal(stored, undefined);
    assert.deepEqual(logs, []);
  });
});

Deno.test("LeaseStore.load() ignores an unusable record with a warning", async (t) => {
  const good = {
    version: 1,
    interface: "eth0",
    address: "198.18.0.100",
    prefix: 24,
    serverIdentifier: "198.18.0.1",
    routers: [],
    domainNameServers: [],
    domainSearch: [],
    leaseTime: 3600,
    renewalTime: 1800,
    rebindingTime: 3150,
    obtainedAt: WALL,
    expiresAt: WALL + 3_600_000,
  };
  const cases: Array<[string, string]> = [
    ["truncated JSON", JSON.stringify(good).slice(0, 40)],
    ["empty file", ""],
    ["a JSON array", "[]"],
    ["another version", JSON.stringify({ ...good, version: 2 })],
    ["no version", JSON.stringify({ ...good, version: undefined })],
    ["another interface", JSON.stringify({ ...good, interface: "eth1" })],
    ["a bad address", JSON.stringify({ ...good, address: "198.18.0.300" })],
    ["a string prefix", JSON.stringify({ ...good, prefix: "24" })],
    ["a prefix over 32", JSON.stringify({ ...good, prefix: 33 })],
    ["routers not a list", JSON.stringify({ ...good, routers: "1.2.3.4" })],
    ["a bad DNS server", JSON.stringify({ ...good, domainNameServers: [1] })],
    ["a bad domain", JSON.stringify({ ...good, domainName: "a..b" })],
    ["a bad search name", JSON.stringify({ ...good, domainSearch: ["-x"] })],
    ["a zero lease time", JSON.stringify({ ...good, leaseTime: 0 })],
    ["a string lease time", JSON.stringify({ ...good, leaseTime: "3600" })],
    ["no obtainedAt", JSON.stringify({ ...good, obtainedAt: undefined })],
    ["finite lease, no expiry", JSON.stringify({ ...good, expiresAt: null })],
    ["a low MTU", JSON.stringify({ ...good, interfaceMtu: 20 })],
    [
      "a bad route",
      JSON.stringify({
        ...good,
        classlessStaticRoutes: [{ destination: "10.0.0.0", prefix: 8 }],
      }),
    ],
  ];
  await withDir(async (dir) => {
    const store = new LeaseStore(dir);
    // The untouched record loads, so the cases below fail for their change.
    await Deno.writeTextFile(store.path("eth0"), JSON.stringify(good));
    assert.equal((await store.load("eth0"))?.address, "198.18.0.100");
    for (const [name, text] of cases) {
      await t.step(`${name} is ignored`, async () => {
        await Deno.writeTextFile(store.path("eth0"), text);
        let stored: StoredLease | undefined;
        const logs = await captureLogs(async () => {
          stored = await store.load("eth0");
        });
        assert.equal(stored, undefined);
        assert.equal(logs.length, 1);
        const log = logs[0]!;
        assert.equal(log.level, "warning");
        assert.deepEqual(log.category, ["ocidhcp", "state"]);
        assert.equal(log.properties.interface, "eth0");
        assert.equal(log.properties.path, store.path("eth0"));
      });
    }
  });
});

Deno.test("LeaseStore.load() never shows a partly written record during 200 saves", async () => {
  await withDir(async (dir) => {
    const store = new LeaseStore(dir);
    const leases = [
      sampleLease({ address: "198.18.0.100", domainSearch: [] }),
      // A longer record, so a torn write would show as bad JSON or a mix.
      sampleLease({
        address: "198.18.0.200",
        domainSearch: Array.from({ length: 40 }, (_, i) => `d${i}.example`),
      }),
    ];
    await store.save(leases[0]!, NOW);
    let writing = true;
    const seen = new Set<string>();
    let reads = 0;
    const reader = (async () => {
      while (writing) {
        const text = await Deno.readTextFile(store.path("eth0"));
        try {
          const record = JSON.parse(text);
          seen.add(`${record.address} ${record.domainSearch.length}`);
        } catch {
          seen.add(`unparsable: ${text.slice(0, 30)}`);
        }
        reads++;
      }
    })();
    try {
      for (let i = 0; i < 200; i++) await store.save(leases[i % 2]!, NOW);
    } finally {
      writing = false;
    }
    await reader;
    assert.ok(reads > 0);
    for (const entry of seen) {
      assert.ok(
        entry === "198.18.0.100 0" || entry === "198.18.0.200 40",
        `read a mixed record: ${entry}`,
      );
    }
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["eth0.lease.json"]);
  });
});

Deno.test("LeaseStore.remove() forgets a lease and accepts a missing one", async () => {
  await withDir(async (dir) => {
    const store = new LeaseStore(dir);
    await store.save(sampleLease(), NOW);
    await store.remove("eth0");
    assert.equal(await store.load("eth0"), undefined);
    await store.remove("eth0");
  });
});

Deno.test("LeaseStore.save() under a file throws StateError with ENOTDIR", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "");
    const store = new LeaseStore(`${dir}/file/state`);
    await assert.rejects(
      store.save(sampleLease(), NOW),
      (error: unknown) => {
        assert.ok(error instanceof StateError);
        assert.equal(error.errno, "ENOTDIR");
        assert.equal(error.path, `${dir}/file/state`);
        assert.match(error.message, /ENOTDIR/);
        return true;
      },
    );
  });
});

Deno.test({
  name:
    "LeaseStore.save() on a read-only file system throws StateError with EROFS",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    await withDir(async (dir) => {
      await Deno.mkdir(`${dir}/ro`);
      const probe = new URL("./_save_probe.ts", import.meta.url).pathname;
      // A private mount namespace, so the read-only mount never shows
      // outside the probe and disappears with it.
      const output = await new Deno.Command("unshare", {
        args: [
          "--mount",
          "--propagation",
          "private",
          "sh",
          "-c",
          `mount -t tmpfs none "$1" && mount -o remount,ro "$1" && ` +
          `exec "$2" run -A "$3" "$1"`,
          "sh",
          `${dir}/ro`,
          Deno.execPath(),
          probe,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, stderr);
      const result = JSON.parse(new TextDecoder().decode(output.stdout));
      assert.deepEqual(
        { name: result.name, errno: result.errno, path: result.path },
        {
          name: "StateError",
          errno: "EROFS",
          path: `${dir}/ro/eth0.lease.json`,
        },
      );
    });
  },
});

Deno.test("rebootAddress() offers the stored address only while the lease lasts", async (t) => {
  const stored: StoredLease = {
    version: 1,
    interface: "eth0",
    address: "198.18.0.100",
    prefix: 24,
    serverIdentifier: "198.18.0.1",
    routers: [],
    domainNameServers: [],
    domainSearch: [],
    leaseTime: 3600,
    renewalTime: 1800,
    rebindingTime: 3150,
    obtainedAt: WALL,
    expiresAt: WALL + 3_600_000,
  };
  const cases: Array<[string, number, string | undefined]> = [
    ["at the start", WALL, "198.18.0.100"],
    ["1 ms before expiry", WALL + 3_599_999, "198.18.0.100"],
    ["at expiry", WALL + 3_600_000, undefined],
    ["a day later", WALL + 86_400_000, undefined],
  ];
  for (const [name, now, expected] of cases) {
    await t.step(name, () => {
      assert.equal(rebootAddress(stored, now), expected);
      assert.equal(isStoredLeaseExpired(stored, now), expected === undefined);
    });
  }
  await t.step("without a record", () => {
    assert.equal(rebootAddress(undefined, WALL), undefined);
  });
});
