import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import type { Lease } from "../../lib/client/lease.ts";
import { hookEnvironment } from "../../lib/hooks/hook_environment.ts";
import { HookRunner } from "../../lib/hooks/hook_runner.ts";
import { realisticLease } from "./_fixtures.ts";

/** Runs a test with a temporary directory, removed afterwards. */
async function withDirectory(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "ocidhcp-t-hooks-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes an executable shell script. */
async function script(dir: string, name: string, body: string) {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  await Deno.chmod(path, 0o755);
  return path;
}

/** Collects the hook logger's records while fn runs. */
async function withLogs(fn: (records: LogRecord[]) => Promise<void>) {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: (record: LogRecord) => records.push(record) },
    loggers: [
      {
        category: ["ocidhcp", "hook"],
        sinks: ["memory"],
        lowestLevel: "debug",
      },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  try {
    await fn(records);
  } finally {
    await reset();
  }
}

function rendered(record: LogRecord): string {
  return record.message.map(String).join("");
}

/** Whether a process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

Deno.test(
  "HookRunner.run() passes the event as argv[1] and only the env",
  async () => {
    await withDirectory(async (dir) => {
      const path = await script(
        dir,
        "hook",
        `printf '%s\\n' "$#" "$1" > "${dir}/args"; env > "${dir}/env"`,
      );
      Deno.env.set("OCIDHCP_TEST_SECRET", "leak");
      try {
        const runner = new HookRunner(path);
        const result = await runner.run("renew", {
          PATH: "/usr/bin:/bin",
          interface: "eth0",
          ip: "198.18.0.100",
        });
        assert.equal(result.code, 0);
        assert.equal(result.timedOut, false);
        assert.equal(result.event, "renew");
        assert.equal(await Deno.readTextFile(`${dir}/args`), "1\nrenew\n");
        const env = await Deno.readTextFile(`${dir}/env`);
        assert.match(env, /^interface=eth0$/m);
        assert.match(env, /^ip=198\.18\.0\.100$/m);
        assert.match(env, /^PATH=\/usr\/bin:\/bin$/m);
        assert.doesNotMatch(env, /OCIDHCP_TEST_SECRET|HOME=/);
      } finally {
        Deno.env.delete("OCIDHCP_TEST_SECRET");
      }
    });
  },
);

Deno.test(
  "HookRunner.run() resolves a failing hook with its code",
  async () => {
    await withDirectory(async (dir) => {
      const path = await script(dir, "hook", "echo oops >&2; exit 3");
      await withLogs(async (records) => {
        const result = await new HookRunner(path).run("bound", {
          interface: "eth0",
        });
        assert.equal(result.code, 3);
        assert.equal(result.timedOut, false);
        const warning = records.find((r) => r.level === "warning");
        assert.ok(warning, "no warning logged");
        assert.match(rendered(warning), /^eth0: hook .* bound exited .* 3$/);
        assert.ok(
          records.some((r) =>
            r.level === "debug" && rendered(r).endsWith("stderr: oops")
          ),
          "stderr not logged at debug",
        );
      });
    });
  },
);

Deno.test(
  "HookRunner.run() kills a hanging hook after the timeout and resolves",
  async (t) => {
    const cases: Array<[string, string, number]> = [
      ["that dies on SIGTERM", "exec sleep 30", 143],
      [
        "that ignores SIGTERM, with SIGKILL after the grace",
        "trap '' TERM; while :; do sleep 1; done",
        137,
      ],
    ];
    for (const [label, body, code] of cases) {
      await t.step(label, async () => {
        await withDirectory(async (dir) => {
          const path = await script(dir, "hook", body);
          const runner = new HookRunner(path, {
            timeoutMs: 300,
            killGraceMs: 300,
          });
          const started = performance.now();
          const result = await runner.run("bound", { interface: "eth0" });
          const elapsed = performance.now() - started;
          assert.equal(result.timedOut, true);
          assert.equal(result.code, code);
          const bound = code === 143 ? 300 : 600;
          assert.ok(elapsed >= bound - 5, `resolved after ${elapsed} ms`);
          assert.ok(elapsed < bound + 1000, `resolved after ${elapsed} ms`);
        });
      });
    }
  },
);

Deno.test(
  "HookRunner.run() kills the commands a timed-out hook started",
  async () => {
    await withDirectory(async (dir) => {
      const path = await script(
        dir,
        "hook",
        `sleep 30 & echo $! > "${dir}/pid"; wait`,
      );
      const runner = new HookRunner(path, { timeoutMs: 300 });
      const result = await runner.run("bound", { interface: "eth0" });
      assert.equal(result.timedOut, true);
      const pid = Number(await Deno.readTextFile(`${dir}/pid`));
      try {
        const deadline = performance.now() + 2000;
        while (alive(pid) && performance.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(alive(pid), false, `sleep ${pid} survived`);
      } finally {
        if (alive(pid)) Deno.kill(pid, "SIGKILL");
      }
    });
  },
);

Deno.test(
  "HookRunner.run() kills a timed-out hook's commands with only FFI allowed",
  async () => {
    await withDirectory(async (dir) => {
      const path = await script(
        dir,
        "hook",
        `sleep 30 & echo $! > "${dir}/pid"; wait`,
      );
      const probe = new URL("./_timeout_probe.ts", import.meta.url).pathname;
      const config = new URL("../../deno.json", import.meta.url).pathname;
      // A run permission naming the hook alone makes Deno.kill(-pid) fail.
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--config",
          config,
          `--allow-run=${path}`,
          "--allow-ffi",
          "--allow-read",
          probe,
          path,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, stderr);
      const result = JSON.parse(new TextDecoder().decode(output.stdout));
      assert.equal(result.timedOut, true);
      const pid = Number(await Deno.readTextFile(`${dir}/pid`));
      try {
        const deadline = performance.now() + 2000;
        while (alive(pid) && performance.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(alive(pid), false, `sleep ${pid} survived`);
      } finally {
        if (alive(pid)) Deno.kill(pid, "SIGKILL");
      }
    });
  },
);

Deno.test(
  "HookRunner.run() does not wait for a daemon the hook left running",
  async () => {
    await withDirectory(async (dir) => {
      // The background sleep inherits stdout and keeps the pipe open.
      const path = await script(
        dir,
        "hook",
        `sleep 30 & echo $! > "${dir}/pid"; echo started`,
      );
      const started = performance.now();
      const result = await new HookRunner(path).run("bound", {
        interface: "eth0",
      });
      const pid = Number(await Deno.readTextFile(`${dir}/pid`));
      try {
        assert.equal(result.code, 0);
        assert.equal(result.timedOut, false);
        const elapsed = performance.now() - started;
        assert.ok(elapsed < 2000, `resolved after ${elapsed} ms`);
      } finally {
        if (alive(pid)) Deno.kill(pid, "SIGKILL");
      }
    });
  },
);

Deno.test(
  "HookRunner.run() logs an actionable error for a script it cannot run",
  async (t) => {
    await withDirectory(async (dir) => {
      await Deno.writeTextFile(`${dir}/plain`, "#!/bin/sh\nexit 0\n", {
        mode: 0o644,
      });
      await Deno.chmod(`${dir}/plain`, 0o644);
      const cases: Array<[string, string, RegExp]> = [
        ["missing", `${dir}/missing`, /does not exist/],
        ["not executable", `${dir}/plain`, /chmod \+x/],
      ];
      for (const [label, path, message] of cases) {
        await t.step(label, async () => {
          await withLogs(async (records) => {
            const result = await new HookRunner(path).run("bound", {
              interface: "eth3",
            });
            assert.equal(result.code, undefined);
            assert.equal(result.timedOut, false);
            const errors = records.filter((r) => r.level === "error");
            assert.equal(errors.length, 1);
            assert.match(rendered(errors[0]!), /^eth3: /);
            assert.match(rendered(errors[0]!), message);
          });
        });
      }
    });
  },
);

Deno.test(
  "HookRunner.run() explains the shell's not-found exit code",
  async () => {
    await withDirectory(async (dir) => {
      // No #! line: Deno falls back to /bin/sh, which cannot find "ELF".
      await Deno.writeTextFile(`${dir}/binary`, "\x7fELF garbage", {
        mode: 0o755,
      });
      await Deno.chmod(`${dir}/binary`, 0o755);
      await withLogs(async (records) => {
        const result = await new HookRunner(`${dir}/binary`).run("bound", {
          interface: "eth3",
          PATH: "/usr/bin:/bin",
        });
        assert.equal(result.code, 127);
        const warnings = records.filter((r) => r.level === "warning");
        assert.equal(warnings.length, 1);
        assert.match(rendered(warnings[0]!), /^eth3: .*#! line.*\/usr\/bin/);
      });
    });
  },
);

Deno.test(
  "HookRunner.run() keeps each interface's order, not other interfaces'",
  async () => {
    await withDirectory(async (dir) => {
      const log = `${dir}/log`;
      const path = await script(
        dir,
        "hook",
        `sleep "$DELAY"; echo "$interface $1" >> "${log}"`,
      );
      const runner = new HookRunner(path);
      const runs = [
        runner.run("bound", { interface: "eth0", DELAY: "0.5" }),
        runner.run("deconfig", { interface: "eth0", DELAY: "0" }),
        runner.run("renew", { interface: "eth1", DELAY: "0" }),
      ];
      const results = await Promise.all(runs);
      assert.deepEqual(results.map((r) => r.event), [
        "bound",
        "deconfig",
        "renew",
      ]);
      assert.deepEqual(
        (await Deno.readTextFile(log)).trim().split("\n"),
        ["eth1 renew", "eth0 bound", "eth0 deconfig"],
      );
    });
  },
);

Deno.test(
  "a hook script never runs what a hostile server put in a name",
  async (t) => {
    await withDirectory(async (dir) => {
      const marker = `${dir}/pwned`;
      const names = [
        `evil.com; touch ${marker}`,
        `a\ntouch ${marker}`,
        `$(touch ${marker})`,
        `\`touch ${marker}\``,
        `x.example && touch ${marker}`,
      ];
      // Ordinary script lines, including a careless `sh -c` that would run
      // an injected command if a hostile value ever reached it.
      const path = await script(
        dir,
        "hook",
        [
          `echo "domain=$domain search=$search host=$hostname" >> "${dir}/out"`,
          `echo $domain $search $hostname >> "${dir}/out"`,
          `sh -c "echo $domain $search $hostname" >> "${dir}/out"`,
          `[ -n "$hostname" ] && echo "hostname $hostname" >> "${dir}/out"`,
          "exit 0",
        ].join("\n"),
      );
      const runner = new HookRunner(path);
      for (const name of names) {
        await t.step(JSON.stringify(name), async () => {
          const lease: Lease = {
            ...realisticLease(),
            domainName: name,
            hostName: name,
            domainSearch: [name, "good.example"],
          };
          const { env, rejected } = hookEnvironment({
            event: "bound",
            interface: "eth0",
            lease,
          });
          const result = await runner.run("bound", env);
          assert.equal(result.code, 0);
          await assert.rejects(Deno.stat(marker), Deno.errors.NotFound);
          const out = await Deno.readTextFile(`${dir}/out`);
          assert.match(out, /search=good\.example/);
          assert.equal(rejected.length, 3);
          await Deno.remove(`${dir}/out`);
        });
      }
    });
  },
);

Deno.test("HookRunner rejects impossible settings", () => {
  assert.throws(() => new HookRunner(""), TypeError);
  assert.throws(() => new HookRunner("/a\0b"), TypeError);
  assert.throws(() => new HookRunner("/x", { timeoutMs: 0 }), RangeError);
  assert.throws(() => new HookRunner("/x", { timeoutMs: NaN }), RangeError);
  assert.throws(() => new HookRunner("/x", { killGraceMs: -1 }), RangeError);
});
