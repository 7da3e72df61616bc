import assert from "node:assert/strict";
import {
  actionsForSignal,
  type ControlAction,
  NotRunningError,
  requestAction,
  requestPath,
  takeRequests,
} from "../../lib/control/requests.ts";
import { claimInterface } from "../../lib/route/interface_claim.ts";
import { ensureRuntimeDir } from "../../lib/route/runtime_dir.ts";
import { writeStatus } from "../../lib/state/status_store.ts";
import { captureLogs } from "../_log.ts";

async function withRuntimeDir(
  run: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ocidhcp-t-control-" });
  try {
    await ensureRuntimeDir(dir);
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Resolves on the next SIGUSR1 this process receives, and rejects after
 * five seconds without one. The timer also keeps the event loop alive:
 * signal listeners alone do not.
 */
function nextSigusr1(): { received: Promise<void>; stop: () => void } {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const listener = (): void => resolve();
  Deno.addSignalListener("SIGUSR1", listener);
  const timer = setTimeout(
    () => reject(new Error("no SIGUSR1 within 5 s")),
    5000,
  );
  return {
    received: promise,
    stop: () => {
      clearTimeout(timer);
      Deno.removeSignalListener("SIGUSR1", listener);
    },
  };
}

Deno.test("requestAction() leaves a request and signals the managing process", async () => {
  await withRuntimeDir(async (dir) => {
    const claim = await claimInterface(dir, "eth0");
    const signal = nextSigusr1();
    try {
      await writeStatus(dir, {
        interface: "eth0",
        pid: Deno.pid,
        state: "BOUND",
        updatedAt: Date.now(),
      });
      const pid = await requestAction(dir, "eth0", "release");
      assert.equal(pid, Deno.pid);
      await signal.received;
      assert.equal(
        await Deno.readTextFile(requestPath(dir, "eth0")),
        "release\n",
      );
      assert.deepEqual(
        await takeRequests(dir, ["eth0"]),
        new Map([["eth0", "release"]]),
      );
      assert.equal(await exists(requestPath(dir, "eth0")), false);
      assert.deepEqual(await takeRequests(dir, ["eth0"]), new Map());
    } finally {
      signal.stop();
      claim.release();
    }
  });
});

Deno.test("requestAction() without a live process throws NotRunningError", async (t) => {
  await withRuntimeDir(async (dir) => {
    await t.step("no status at all", async () => {
      await assert.rejects(
        requestAction(dir, "eth0", "renew"),
        (error: unknown) => {
          assert.ok(error instanceof NotRunningError);
          assert.equal(error.interface, "eth0");
          assert.equal(error.runtimeDir, dir);
          assert.match(error.message, /no status/);
          assert.match(error.message, /--runtime-dir/);
          return true;
        },
      );
    });
    await t.step(
      "a status whose process no longer holds the lock",
      async () => {
        await writeStatus(dir, {
          interface: "eth0",
          pid: Deno.pid,
          state: "BOUND",
          updatedAt: Date.now(),
        });
        await assert.rejects(
          requestAction(dir, "eth0", "renew"),
          (error: unknown) => {
            assert.ok(error instanceof NotRunningError);
            assert.match(error.message, new RegExp(`process ${Deno.pid} `));
            return true;
          },
        );
      },
    );
    assert.equal(await exists(requestPath(dir, "eth0")), false);
  });
});

Deno.test("requestAction() rejects an unknown action and a bad interface name", async () => {
  await withRuntimeDir(async (dir) => {
    await assert.rejects(
      requestAction(dir, "eth0", "reboot" as ControlAction),
      /Action must be one of renew, release, got "reboot"/,
    );
    await assert.rejects(
      requestAction(dir, "../eth0", "renew"),
      TypeError,
    );
  });
});

Deno.test("takeRequests() takes only the given interfaces and drops unknown contents", async () => {
  await withRuntimeDir(async (dir) => {
    await Deno.mkdir(`${dir}/requests`);
    await Deno.writeTextFile(requestPath(dir, "eth0"), "renew\n");
    await Deno.writeTextFile(requestPath(dir, "eth1"), "format disk\n");
    await Deno.writeTextFile(requestPath(dir, "eth2"), "release\n");
    let taken = new Map<string, ControlAction>();
    const logs = await captureLogs(async () => {
      taken = await takeRequests(dir, ["eth0", "eth1", "eth3"]);
    });
    assert.deepEqual(taken, new Map([["eth0", "renew"]]));
    assert.deepEqual(
      logs.map((log) => [log.level, log.properties.interface]),
      [["warning", "eth1"]],
    );
    assert.equal(await exists(requestPath(dir, "eth0")), false);
    assert.equal(await exists(requestPath(dir, "eth1")), false);
    // Another process's interface is left for it.
    assert.equal(await exists(requestPath(dir, "eth2")), true);
    const left = [];
    for await (const entry of Deno.readDir(`${dir}/requests`)) {
      left.push(entry.name);
    }
    assert.deepEqual(left, ["eth2"]);
  });
});

Deno.test("actionsForSignal() renews everything on a plain signal", async (t) => {
  const names = ["eth0", "eth1"];
  const cases: Array<
    [string, Array<[string, ControlAction]>, Array<[string, ControlAction]>]
  > = [
    ["no request", [], [["eth0", "renew"], ["eth1", "renew"]]],
    ["one release", [["eth1", "release"]], [["eth1", "release"]]],
    [
      "both, in interface order",
      [["eth1", "renew"], ["eth0", "release"]],
      [["eth0", "release"], ["eth1", "renew"]],
    ],
  ];
  for (const [name, requests, expected] of cases) {
    await t.step(name, () => {
      assert.deepEqual(
        [...actionsForSignal(new Map(requests), names)],
        expected,
      );
    });
  }
});

Deno.test("requestAction() reaches another process that takes its requests", async () => {
  await withRuntimeDir(async (dir) => {
    const daemon = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./_daemon.ts", import.meta.url).pathname,
        dir,
        "eth0",
        "eth1",
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines = daemon.stdout
      .pipeThrough(new TextDecoderStream())
      .values();
    let buffer = "";
    const nextLine = async (): Promise<string> => {
      while (!buffer.includes("\n")) {
        const { value, done } = await lines.next();
        if (done) throw new Error(`daemon ended; output so far: ${buffer}`);
        buffer += value;
      }
      const at = buffer.indexOf("\n");
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      return line;
    };
    try {
      assert.equal(await nextLine(), "ready");
      assert.equal(await requestAction(dir, "eth1", "release"), daemon.pid);
      assert.deepEqual(JSON.parse(await nextLine()), { eth1: "release" });
      // A plain kill -USR1 renews every interface.
      Deno.kill(daemon.pid, "SIGUSR1");
      assert.deepEqual(JSON.parse(await nextLine()), {
        eth0: "renew",
        eth1: "renew",
      });
    } finally {
      daemon.kill("SIGKILL");
      await daemon.status;
      await lines.return?.();
    }
    // Once the process is gone its status is stale.
    await assert.rejects(requestAction(dir, "eth0", "renew"), NotRunningError);
  });
});
