import assert from "node:assert/strict";
import {
  RELEASE_USAGE,
  RENEW_USAGE,
  runControl,
  STATUS_USAGE,
} from "../../cli/control.ts";
import { requestPath } from "../../lib/control/requests.ts";
import { claimInterface } from "../../lib/route/interface_claim.ts";
import { ensureRuntimeDir } from "../../lib/route/runtime_dir.ts";
import {
  type ClientSnapshot,
  writeStatus,
} from "../../lib/state/status_store.ts";

const NOW = 1_800_000_000_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  subcommand: "status" | "renew" | "release",
  args: string[],
): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runControl(subcommand, args, {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    now: () => NOW,
  });
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

async function withRuntimeDir(
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ocidhcp-t-cli-control-" });
  try {
    await ensureRuntimeDir(dir);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const BOUND: ClientSnapshot = {
  interface: "eth0",
  pid: Deno.pid,
  state: "BOUND",
  address: "198.18.0.100",
  prefix: 24,
  serverIdentifier: "198.18.0.1",
  routers: ["198.18.0.1"],
  domainNameServers: ["198.18.0.53"],
  leaseTime: 3600,
  obtainedAt: NOW - 2000,
  renewAt: NOW - 2000 + 1_800_000,
  rebindAt: NOW - 2000 + 3_150_000,
  expiresAt: NOW - 2000 + 3_600_000,
  nextEventAt: NOW - 2000 + 1_800_000,
  defaultRouteOwner: true,
  updatedAt: NOW - 2000,
};

const SELECTING: ClientSnapshot = {
  interface: "eth1",
  pid: 4_000_000,
  state: "SELECTING",
  nextEventAt: NOW + 4000,
  updatedAt: NOW,
};

Deno.test("runControl() rejects bad arguments with the usage line and exit code 2", async (t) => {
  const cases: Array<
    ["status" | "renew" | "release", string[], string, RegExp]
  > = [
    ["status", ["--bogus"], STATUS_USAGE, /--bogus/],
    ["status", ["eth0/x"], STATUS_USAGE, /Interface name must be/],
    ["status", ["--runtime-dir"], STATUS_USAGE, /--runtime-dir/],
    ["renew", [], RENEW_USAGE, /no interface given/],
    ["renew", ["--json", "eth0"], RENEW_USAGE, /--json/],
    ["release", ["--runtime-dir", "", "eth0"], RELEASE_USAGE, /empty/],
    ["release", ["a-very-long-interface"], RELEASE_USAGE, /15 bytes/],
  ];
  for (const [subcommand, args, usage, problem] of cases) {
    await t.step(`${subcommand} ${args.join(" ")}`, async () => {
      const result = await run(subcommand, args);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      const [first, second] = result.stderr.split("\n");
      assert.equal(first, usage);
      assert.match(second ?? "", new RegExp(`^ocidhcp ${subcommand}: `));
      assert.match(second ?? "", problem);
    });
  }
});

Deno.test("runControl() prints the usage line for --help", async () => {
  const result = await run("renew", ["--help"]);
  assert.deepEqual(result, { code: 0, stdout: RENEW_USAGE, stderr: "" });
});

Deno.test("ocidhcp status prints a table of live and stale interfaces", async () => {
  await withRuntimeDir(async (dir) => {
    await writeStatus(dir, BOUND);
    await writeStatus(dir, SELECTING);
    const claim = await claimInterface(dir, "eth0");
    try {
      const result = await run("status", ["--runtime-dir", dir]);
      assert.equal(result.stderr, "");
      assert.equal(result.code, 0);
      const pid = String(Deno.pid);
      const pidColumn = Math.max(pid.length, 7, "PID".length);
      const expected = [
        ["INTERFACE", "STATE    ", "ADDRESS        ", "SERVER    "],
        ["eth0     ", "BOUND    ", "198.18.0.100/24", "198.18.0.1"],
        ["eth1     ", "SELECTING", "-              ", "-         "],
      ].map((cells, row) =>
        [
          ...cells,
          ["LEASE LEFT", "59m 58s   ", "-         "][row],
          ["NEXT EVENT", "29m 58s   ", "-         "][row],
          ["DEFAULT ROUTE", "yes          ", "no           "][row],
          ["PID", pid, "4000000"][row]!.padEnd(pidColumn),
          ["STALE", "no", "yes"][row],
        ].join("  ")
      ).join("\n");
      assert.equal(result.stdout, expected);
    } finally {
      claim.release();
    }
  });
});

Deno.test("ocidhcp status --json prints one document with stale flags", async () => {
  await withRuntimeDir(async (dir) => {
    await writeStatus(dir, {
      ...BOUND,
      leaseTime: Infinity,
      expiresAt: Infinity,
    });
    await writeStatus(dir, SELECTING);
    const claim = await claimInterface(dir, "eth0");
    try {
      const result = await run("status", ["--json", "--runtime-dir", dir]);
      assert.equal(result.code, 0);
      const document = JSON.parse(result.stdout);
      assert.deepEqual(document, {
        interfaces: [
          { ...BOUND, leaseTime: null, expiresAt: null, stale: false },
          { ...SELECTING, stale: true },
        ],
      });
    } finally {
      claim.release();
    }
  });
});

Deno.test("ocidhcp status IFACE fails for an interface that is not managed", async (t) => {
  await withRuntimeDir(async (dir) => {
    await writeStatus(dir, SELECTING);
    await t.step("no status", async () => {
      const result = await run("status", ["--runtime-dir", dir, "eth9"]);
      assert.equal(result.code, 1);
      assert.equal(result.stdout, "");
      assert.equal(
        result.stderr,
        `error: no ocidhcp process reports on eth9 in ${dir}`,
      );
    });
    await t.step("a stale status is shown and fails", async () => {
      const result = await run("status", ["--runtime-dir", dir, "eth1"]);
      assert.equal(result.code, 1);
      assert.match(result.stdout, /^eth1 +SELECTING/m);
      assert.match(result.stderr, /^error: eth1: process 4000000 no longer/);
    });
  });
});

Deno.test("ocidhcp status without any status says so", async (t) => {
  await withRuntimeDir(async (dir) => {
    await t.step("as text", async () => {
      assert.deepEqual(await run("status", ["--runtime-dir", dir]), {
        code: 0,
        stdout: `no ocidhcp process reports on any interface in ${dir}`,
        stderr: "",
      });
    });
    await t.step("as JSON", async () => {
      const result = await run("status", ["--json", "--runtime-dir", dir]);
      assert.equal(result.code, 0);
      assert.deepEqual(JSON.parse(result.stdout), { interfaces: [] });
    });
  });
});

Deno.test("ocidhcp renew signals the process that manages the interface", async () => {
  await withRuntimeDir(async (dir) => {
    const claim = await claimInterface(dir, "eth0");
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const listener = (): void => resolve();
    Deno.addSignalListener("SIGUSR1", listener);
    // Also keeps the event loop alive, which a signal listener does not.
    const timer = setTimeout(() => reject(new Error("no SIGUSR1")), 5000);
    try {
      await writeStatus(dir, BOUND);
      const result = await run("renew", ["--runtime-dir", dir, "eth0"]);
      assert.deepEqual(result, {
        code: 0,
        stdout: `eth0: asked process ${Deno.pid} to renew`,
        stderr: "",
      });
      await promise;
      assert.equal(
        await Deno.readTextFile(requestPath(dir, "eth0")),
        "renew\n",
      );
    } finally {
      clearTimeout(timer);
      Deno.removeSignalListener("SIGUSR1", listener);
      claim.release();
    }
  });
});

Deno.test("ocidhcp release fails with an actionable error when nothing runs", async () => {
  await withRuntimeDir(async (dir) => {
    await writeStatus(dir, SELECTING);
    const result = await run("release", ["--runtime-dir", dir, "eth9", "eth1"]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    const lines = result.stderr.split("\n");
    assert.equal(lines.length, 2);
    assert.match(
      lines[0]!,
      /^error: No running ocidhcp manages eth9 \(no status/,
    );
    assert.match(
      lines[1]!,
      /^error: No running ocidhcp manages eth1 \(process 4000000/,
    );
    assert.match(lines[1]!, /start one with "ocidhcp eth1"/);
  });
});
