import assert from "node:assert/strict";
import { CommandFailedError } from "../../lib/process/command.ts";
import { DefaultRouteArbiter } from "../../lib/route/arbiter.ts";
import { compareInterfaceNames } from "../../lib/route/default_route_policy.ts";
import {
  claimInterface,
  InterfaceBusyError,
} from "../../lib/route/interface_claim.ts";
import type { Route } from "../../lib/route/route.ts";
import { createLab, defaultRoutes, type Lab, waitFor } from "./_netns.ts";

function routeOf(lab: Lab, name: string): Route {
  const found = lab.interfaces.find((entry) => entry.name === name);
  assert.ok(found, `no lab interface ${name}`);
  return { destination: "default", gateway: found.gateway, device: name };
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function openArbiter(
  lab: Lab,
  runtimeDir: string,
  extra: Partial<Parameters<typeof DefaultRouteArbiter.open>[0]> = {},
): Promise<DefaultRouteArbiter> {
  return DefaultRouteArbiter.open({
    runner: lab.runner,
    runtimeDir,
    spawn: (argv) => lab.spawn(argv),
    ...extra,
  });
}

function ownerLine(lab: Lab, name: string): string {
  const gateway = lab.interfaces.find((entry) => entry.name === name)?.gateway;
  return `${name} ${gateway} 0`;
}

async function withLab(
  names: string[],
  body: (lab: Lab, runtimeDir: string) => Promise<void>,
): Promise<void> {
  const lab = await createLab(names);
  const runtimeDir = await Deno.makeTempDir({ prefix: "ocidhcp-t-rt-" });
  try {
    await body(lab, runtimeDir);
  } finally {
    await lab.destroy();
    await Deno.remove(runtimeDir, { recursive: true });
  }
}

// Records the default route changes the kernel reports while `body` runs.
// A route added first, and required in the output, proves the monitor had
// subscribed, so an empty result means no change rather than a late start.
async function defaultRouteEvents(
  lab: Lab,
  body: () => Promise<void>,
): Promise<string[]> {
  const monitor = lab.spawn(["ip", "-4", "monitor", "route"]);
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    await lab.sh("ip", "route", "replace", "blackhole", "192.0.2.0/24");
    await new Promise((resolve) => setTimeout(resolve, 100));
    await body();
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    monitor.kill("SIGTERM");
  }
  const output = new TextDecoder().decode((await monitor.output()).stdout);
  const lines = output.split("\n").map((line) => line.trim());
  assert.ok(
    lines.some((line) => line.includes("192.0.2.0/24")),
    `ip monitor saw nothing: ${output}`,
  );
  return lines.filter((line) => /^(Deleted )?default /.test(line));
}

for (const names of [["eth2", "eth10"], ["eth2", "eth10", "br-lan", "eth1"]]) {
  const smallest = names.includes("br-lan") ? "br-lan" : "eth10";
  Deno.test(
    `concurrent offers on ${names.length} interfaces leave one default ` +
      `route on ${smallest}`,
    async () => {
      await withLab(names, async (lab, runtimeDir) => {
        for (let round = 0; round < 20; round++) {
          const shared = round % 2 === 0;
          const one = shared ? await openArbiter(lab, runtimeDir) : undefined;
          const arbiters = new Map<string, DefaultRouteArbiter>();
          for (const name of names) {
            arbiters.set(name, one ?? await openArbiter(lab, runtimeDir));
          }
          try {
            const order = shuffled(names);
            const results = await Promise.all(
              order.map((name) =>
                arbiters.get(name)?.offer(name, routeOf(lab, name))
              ),
            );
            const byName = new Map(order.map((name, i) => [name, results[i]]));
            assert.deepEqual(
              await defaultRoutes(lab),
              [ownerLine(lab, smallest)],
              `round ${round}, order ${order.join(",")}`,
            );
            assert.equal(byName.get(smallest), "install");
            for (const name of names.filter((name) => name !== smallest)) {
              assert.match(byName.get(name) ?? "", /^(install|skip)$/);
            }
            assert.ok(
              lab.runner.calls.every((argv) => !argv.includes("add")),
              "a route was added instead of replaced",
            );
          } finally {
            for (const arbiter of new Set(arbiters.values())) {
              await arbiter.close();
            }
          }
          // An owner closing hands the route to the first remaining other
          // process's candidate; the last one leaves it for a restarted
          // client to adopt. One process closes as one step: no move.
          let expected = smallest;
          if (!shared) {
            const remaining = new Set(names);
            for (const name of arbiters.keys()) {
              remaining.delete(name);
              const next = [...remaining].sort(compareInterfaceNames)[0];
              if (name === expected && next !== undefined) expected = next;
            }
          }
          assert.deepEqual(
            await defaultRoutes(lab),
            [ownerLine(lab, expected)],
            `round ${round}: after close()`,
          );
          assert.deepEqual(
            [...Deno.readDirSync(`${runtimeDir}/candidates`)],
            [],
          );
          await lab.runner.run(["ip", "-4", "route", "flush", "proto", "dhcp"]);
        }
      });
    },
  );
}

Deno.test("a renewal with the same route changes nothing", async () => {
  await withLab(["eth0", "eth1"], async (lab, runtimeDir) => {
    const arbiter = await openArbiter(lab, runtimeDir);
    try {
      assert.equal(
        await arbiter.offer("eth1", routeOf(lab, "eth1")),
        "install",
      );
      assert.equal(
        await arbiter.offer("eth0", routeOf(lab, "eth0")),
        "install",
      );
      const monitor = lab.spawn(["ip", "-4", "monitor", "route"]);
      // Let the monitor subscribe, then prove it reports changes at all.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await lab.sh("ip", "route", "add", "192.0.2.0/24", "dev", "eth1");
      await new Promise((resolve) => setTimeout(resolve, 100));
      const calls = lab.runner.calls.length;
      assert.equal(await arbiter.offer("eth0", routeOf(lab, "eth0")), "keep");
      assert.equal(await arbiter.offer("eth1", routeOf(lab, "eth1")), "skip");
      await new Promise((resolve) => setTimeout(resolve, 200));
      monitor.kill("SIGTERM");
      const output = new TextDecoder().decode((await monitor.output()).stdout);
      assert.deepEqual(output.trim().split("\n").map((l) => l.trim()), [
        "192.0.2.0/24 dev eth1 scope link",
      ]);
      // A batch with -j only lists (links and routes for the election).
      const changed = lab.runner.calls.slice(calls).filter((argv) =>
        argv.includes("replace") || argv.includes("del") ||
        (argv.includes("-batch") && !argv.includes("-j"))
      );
      assert.deepEqual(changed, []);
      assert.deepEqual(await defaultRoutes(lab), [
        ownerLine(lab, "eth0"),
      ]);
    } finally {
      await arbiter.close();
    }
  });
});

Deno.test("offers made together share one election", async () => {
  const names = ["eth0", "eth1", "eth2", "eth3", "eth4", "eth5"];
  await withLab(names, async (lab, runtimeDir) => {
    const arbiter = await openArbiter(lab, runtimeDir);
    try {
      for (const name of names) await arbiter.claim(name);
      const calls = lab.runner.calls.length;
      const order = shuffled(names);
      const results = await Promise.all(
        order.map((name) => arbiter.offer(name, routeOf(lab, name))),
      );
      assert.deepEqual(
        new Map(order.map((name, i) => [name, results[i]])),
        new Map(
          names.map((name) => [name, name === "eth0" ? "install" : "skip"]),
        ),
      );
      // One listing of links and routes, one install: not one each.
      const listings = lab.runner.calls.slice(calls).filter((argv) =>
        argv.includes("-j") && argv.includes("-batch")
      );
      const installs = lab.runner.calls.slice(calls).filter((argv) =>
        argv.includes("replace")
      );
      assert.equal(listings.length, 1, JSON.stringify(lab.runner.calls));
      assert.equal(installs.length, 1, JSON.stringify(lab.runner.calls));
      assert.deepEqual(await defaultRoutes(lab), [ownerLine(lab, "eth0")]);
    } finally {
      await arbiter.close();
    }
  });
});

Deno.test(
  "an offer's election lists the table while its lease is applied, and " +
    "offers made meanwhile join it",
  async () => {
    await withLab(["eth0", "eth1"], async (lab, runtimeDir) => {
      const arbiter = await openArbiter(lab, runtimeDir);
      try {
        for (const name of ["eth0", "eth1"]) await arbiter.claim(name);
        const calls = lab.runner.calls.length;
        const applied = Promise.withResolvers<void>();
        const first = arbiter.offer("eth1", routeOf(lab, "eth1"), {
          ready: applied.promise,
        });
        const listed = () =>
          lab.runner.calls.slice(calls).filter((argv) =>
            argv.includes("-j") && argv.includes("-batch")
          ).length;
        await waitFor(
          "the election's listing",
          () => Promise.resolve(listed() === 1),
          5_000,
        );
        // Listed, but nothing installed before the lease is in place.
        assert.deepEqual(await defaultRoutes(lab), []);
        const second = arbiter.offer("eth0", routeOf(lab, "eth0"), {
          ready: Promise.resolve(),
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        applied.resolve();
        assert.deepEqual(await Promise.all([first, second]), [
          "skip",
          "install",
        ]);
        assert.equal(listed(), 1, JSON.stringify(lab.runner.calls));
        assert.deepEqual(await defaultRoutes(lab), [ownerLine(lab, "eth0")]);
      } finally {
        await arbiter.close();
      }
    });
  },
);

Deno.test(
  "an offer whose lease could not be applied fails and registers nothing",
  async () => {
    await withLab(["eth0"], async (lab, runtimeDir) => {
      const arbiter = await openArbiter(lab, runtimeDir);
      try {
        const failure = new Error("the address batch failed");
        await assert.rejects(
          arbiter.offer("eth0", routeOf(lab, "eth0"), {
            ready: Promise.reject(failure),
          }),
          (error) => error === failure,
        );
        assert.deepEqual(await defaultRoutes(lab), []);
        assert.deepEqual([...Deno.readDirSync(`${runtimeDir}/candidates`)], []);
        // The interface can still be offered once its lease is in place.
        assert.equal(
          await arbiter.offer("eth0", routeOf(lab, "eth0")),
          "install",
        );
      } finally {
        await arbiter.close();
      }
    });
  },
);

Deno.test(
  "withdrawing the owner hands the route to the next candidate",
  async () => {
    await withLab(["eth0", "eth1", "eth2"], async (lab, runtimeDir) => {
      const changes: Array<[string | undefined, string | undefined]> = [];
      const arbiter = await openArbiter(lab, runtimeDir, {
        onOwnerChange: (owner, previous) => changes.push([owner, previous]),
      });
      try {
        for (const name of ["eth2", "eth1", "eth0"]) {
          await arbiter.offer(name, routeOf(lab, name));
        }
        await arbiter.withdraw("eth0");
        assert.deepEqual(await defaultRoutes(lab), [
          ownerLine(lab, "eth1"),
        ]);
        // Opting out withdraws too.
        assert.equal(
          await arbiter.offer("eth1", routeOf(lab, "eth1"), { optedOut: true }),
          "skip",
        );
        assert.deepEqual(await defaultRoutes(lab), [
          ownerLine(lab, "eth2"),
        ]);
        assert.equal(await arbiter.offer("eth0", undefined), "skip");
        assert.deepEqual(await defaultRoutes(lab), [
          ownerLine(lab, "eth2"),
        ]);
        await arbiter.withdraw("eth2");
        assert.deepEqual(await defaultRoutes(lab), []);
        assert.deepEqual(changes.slice(0, 4), [
          ["eth2", undefined],
          ["eth1", "eth2"],
          ["eth0", "eth1"],
          ["eth1", "eth0"],
        ]);
      } finally {
        await arbiter.close();
      }
    });
  },
);

Deno.test(
  "a 0.0.0.0/0 route and a changed gateway go through the policy",
  async () => {
    await withLab(["eth0", "eth1"], async (lab, runtimeDir) => {
      const arbiter = await openArbiter(lab, runtimeDir);
      try {
        await arbiter.offer("eth1", routeOf(lab, "eth1"));
        assert.equal(
          await arbiter.offer("eth0", {
            ...routeOf(lab, "eth0"),
            destination: "0.0.0.0/0",
          }),
          "install",
        );
        assert.equal(
          await arbiter.offer("eth0", {
            ...routeOf(lab, "eth0"),
            gateway: "198.18.0.9",
          }),
          "install",
        );
        assert.deepEqual(await defaultRoutes(lab), ["eth0 198.18.0.9 0"]);
        assert.equal(
          await arbiter.offer("eth0", { ...routeOf(lab, "eth0"), metric: 100 }),
          "install",
        );
        assert.deepEqual(await defaultRoutes(lab), ["eth0 198.18.0.1 100"]);
        await assert.rejects(
          arbiter.offer("eth0", { destination: "10.0.0.0/8", device: "eth0" }),
          TypeError,
        );
      } finally {
        await arbiter.close();
      }
    });
  },
);

Deno.test(
  "a foreign default route is competed with or respected",
  async (t) => {
    await withLab(["eth0", "eth1"], async (lab, runtimeDir) => {
      const foreign = [
        "ip",
        "route",
        "replace",
        "default",
        "via",
        "198.18.1.1",
      ];
      await t.step("respect leaves it alone", async () => {
        await lab.sh(...foreign, "dev", "eth1", "proto", "static");
        const arbiter = await openArbiter(lab, runtimeDir, {
          foreign: "respect",
        });
        try {
          assert.equal(
            await arbiter.offer("eth0", routeOf(lab, "eth0")),
            "skip",
          );
          assert.deepEqual(await defaultRoutes(lab), ["eth1 198.18.1.1 0"]);
        } finally {
          await arbiter.close();
        }
        assert.deepEqual(await defaultRoutes(lab), ["eth1 198.18.1.1 0"]);
      });
      await t.step(
        "compete replaces a later-sorting device's route",
        async () => {
          const arbiter = await openArbiter(lab, runtimeDir);
          try {
            assert.equal(
              await arbiter.offer("eth0", routeOf(lab, "eth0")),
              "install",
            );
            assert.deepEqual(await defaultRoutes(lab), [
              ownerLine(lab, "eth0"),
            ]);
          } finally {
            await arbiter.close();
          }
        },
      );
      await t.step(
        "compete keeps an earlier-sorting device's route",
        async () => {
          await lab.sh(
            "ip",
            "route",
            "replace",
            "default",
            "via",
            "198.18.0.1",
            "dev",
            "eth0",
            "proto",
            "static",
          );
          const arbiter = await openArbiter(lab, runtimeDir);
          try {
            assert.equal(
              await arbiter.offer("eth1", routeOf(lab, "eth1")),
              "skip",
            );
            assert.deepEqual(await defaultRoutes(lab), [
              ownerLine(lab, "eth0"),
            ]);
          } finally {
            await arbiter.close();
          }
        },
      );
    });
  },
);

Deno.test(
  "the owner's link going down hands the route over within a second",
  async (t) => {
    await withLab(["eth0", "eth1"], async (lab, runtimeDir) => {
      const arbiter = await openArbiter(lab, runtimeDir);
      try {
        await arbiter.offer("eth1", routeOf(lab, "eth1"));
        await arbiter.offer("eth0", routeOf(lab, "eth0"));
        // Give the watcher time to subscribe.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await t.step("admin down: the kernel drops the route", async () => {
          await lab.sh("ip", "link", "set", "eth0", "down");
          const elapsed = await waitFor(
            "handover to eth1",
            async () =>
              (await defaultRoutes(lab)).join() === ownerLine(lab, "eth1"),
            1000,
          );
          assert.ok(elapsed < 1000);
        });
        await t.step("back up: the smaller name takes it back", async () => {
          await lab.sh("ip", "link", "set", "eth0", "up");
          await waitFor(
            "return to eth0",
            async () =>
              (await defaultRoutes(lab)).join() === ownerLine(lab, "eth0"),
            1000,
          );
        });
        await t.step(
          "carrier loss: the route stays but is handed over",
          async () => {
            await lab.sh("ip", "link", "set", "peer0", "down");
            await waitFor(
              "handover to eth1",
              async () =>
                (await defaultRoutes(lab)).join() ===
                  ownerLine(lab, "eth1"),
              1000,
            );
          },
        );
      } finally {
        await arbiter.close();
      }
    });
  },
);

Deno.test("claimInterface() lets one process manage an interface", async () => {
  const runtimeDir = await Deno.makeTempDir({ prefix: "ocidhcp-t-rt-" });
  try {
    await Deno.mkdir(`${runtimeDir}/interfaces`);
    const claim = await claimInterface(runtimeDir, "eth0");
    await assert.rejects(
      claimInterface(runtimeDir, "eth0"),
      (error: unknown) => {
        assert.ok(error instanceof InterfaceBusyError);
        assert.equal(error.pid, Deno.pid);
        assert.match(error.message, new RegExp(`eth0 .* process ${Deno.pid}`));
        return true;
      },
    );
    await assert.rejects(claimInterface(runtimeDir, "../x"), TypeError);
    claim.release();
    (await claimInterface(runtimeDir, "eth0")).release();
  } finally {
    await Deno.remove(runtimeDir, { recursive: true });
  }
});

Deno.test(
  "separate processes converge and survive the owner's SIGKILL",
  async () => {
    await withLab(["eth0", "eth1"], async (lab, runtimeDir) => {
      const script = new URL("./_arbiter_proc.ts", import.meta.url).pathname;
      const start = (name: string) => {
        const gateway = lab.interfaces.find((e) => e.name === name)?.gateway;
        return new Deno.Command("ip", {
          args: [
            "netns",
            "exec",
            lab.namespace,
            Deno.execPath(),
            "run",
            "-A",
            "--unstable-net",
            "--config",
            new URL("../../deno.json", import.meta.url).pathname,
            script,
            runtimeDir,
            name,
            gateway ?? "",
          ],
          stdin: "null",
          stdout: "piped",
          stderr: "inherit",
        }).spawn();
      };
      const children = [start("eth1"), start("eth0")];
      const readers = children.map((child) =>
        child.stdout.pipeThrough(new TextDecoderStream()).getReader()
      );
      try {
        for (const reader of readers) {
          const { value } = await reader.read();
          assert.match(value ?? "", /^ready (install|skip)/);
        }
        await waitFor(
          "eth0 to own the route",
          async () =>
            (await defaultRoutes(lab)).join() === ownerLine(lab, "eth0"),
          2000,
        );
        // A process cannot claim an interface another one manages.
        const busy = await lab.sh(
          Deno.execPath(),
          "eval",
          `import { claimInterface } from "${
            new URL("../../lib/route/interface_claim.ts", import.meta.url).href
          }";` +
            `try { await claimInterface("${runtimeDir}", "eth0"); }` +
            ` catch (e) { console.log(e.name, e.pid); console.log(e.message); }`,
        );
        // The second line, the error's message, says what went wrong if
        // the claim failed otherwise.
        const [busyLine, busyMessage] = busy.trim().split("\n");
        assert.equal(
          busyLine,
          `InterfaceBusyError ${children[1]?.pid}`,
          busyMessage,
        );
        children[1]?.kill("SIGKILL");
        const elapsed = await waitFor(
          "handover to eth1",
          async () =>
            (await defaultRoutes(lab)).join() === ownerLine(lab, "eth1"),
          1000,
        );
        assert.ok(elapsed < 1000, `took ${elapsed} ms`);
        children[0]?.kill("SIGTERM");
        const { value } = await readers[0]!.read();
        assert.equal(value?.trim(), "closed");
        // The last candidate stopping leaves its route for the next start.
        assert.deepEqual(await defaultRoutes(lab), [ownerLine(lab, "eth1")]);
      } finally {
        for (const child of children) {
          try {
            child.kill("SIGKILL");
          } catch {
            // Already gone.
          }
          await child.status;
        }
        for (const reader of readers) await reader.cancel().catch(() => {});
      }
    });
  },
);

Deno.test(
  "an unreachable gateway fails its offer and the next candidate wins",
  async () => {
    await withLab(["eth0", "eth1"], async (lab, runtimeDir) => {
      const arbiter = await openArbiter(lab, runtimeDir);
      try {
        await arbiter.offer("eth1", routeOf(lab, "eth1"));
        await assert.rejects(
          arbiter.offer("eth0", {
            destination: "default",
            gateway: "203.0.113.1",
            device: "eth0",
          }),
          (error: unknown) => {
            assert.ok(error instanceof CommandFailedError);
            assert.ok(error.argv.includes("203.0.113.1"));
            return true;
          },
        );
        assert.deepEqual(await defaultRoutes(lab), [ownerLine(lab, "eth1")]);
        assert.deepEqual(
          [...Deno.readDirSync(`${runtimeDir}/candidates`)].map((e) => e.name),
          ["eth1.json"],
        );
      } finally {
        await arbiter.close();
      }
    });
  },
);

Deno.test(
  "a dead process's candidacy and route are cleaned up at the next election",
  async () => {
    await withLab(["eth0", "eth1"], async (lab, runtimeDir) => {
      const arbiter = await openArbiter(lab, runtimeDir);
      try {
        await lab.sh(
          "ip",
          "route",
          "replace",
          "default",
          "via",
          "198.18.0.1",
          "dev",
          "eth0",
          "proto",
          "dhcp",
          "metric",
          "10",
        );
        await Deno.writeTextFile(
          `${runtimeDir}/candidates/eth0.json`,
          JSON.stringify({
            pid: 2 ** 22 + 1,
            interface: "eth0",
            route: { ...routeOf(lab, "eth0"), metric: 10 },
          }),
        );
        await Deno.writeTextFile(`${runtimeDir}/candidates/bad.json`, "{");
        assert.equal(
          await arbiter.offer("eth1", routeOf(lab, "eth1")),
          "install",
        );
        assert.deepEqual(await defaultRoutes(lab), [ownerLine(lab, "eth1")]);
        assert.deepEqual(
          [...Deno.readDirSync(`${runtimeDir}/candidates`)].map((e) => e.name),
          ["eth1.json"],
        );
      } finally {
        await arbiter.close();
      }
    });
  },
);

Deno.test("close() without handover leaves the route in place", async () => {
  await withLab(["eth0", "eth1"], async (lab, runtimeDir) => {
    const first = await openArbiter(lab, runtimeDir);
    const second = await openArbiter(lab, runtimeDir);
    try {
      await first.offer("eth0", routeOf(lab, "eth0"));
      await second.offer("eth1", routeOf(lab, "eth1"));
      await first.close({ handOver: false });
      assert.deepEqual(await defaultRoutes(lab), [ownerLine(lab, "eth0")]);
      // The route now belongs to no candidate; eth1 sorts after its device.
      assert.equal(await second.offer("eth1", routeOf(lab, "eth1")), "skip");
      assert.deepEqual(
        [...Deno.readDirSync(`${runtimeDir}/candidates`)].map((e) => e.name),
        ["eth1.json"],
      );
    } finally {
      await first.close();
      await second.close();
    }
  });
});

Deno.test(
  "close() of one process serving every candidate leaves the route alone",
  async () => {
    await withLab(["eth0", "eth1"], async (lab, runtimeDir) => {
      const arbiter = await openArbiter(lab, runtimeDir);
      let calls = 0;
      try {
        for (const name of ["eth0", "eth1"]) {
          await arbiter.offer(name, routeOf(lab, name));
        }
        assert.deepEqual(await defaultRoutes(lab), [ownerLine(lab, "eth0")]);
      } finally {
        calls = lab.runner.calls.length;
        const events = await defaultRouteEvents(lab, () => arbiter.close());
        assert.deepEqual(events, []);
      }
      assert.deepEqual(
        lab.runner.calls.slice(calls).filter((argv) =>
          argv.includes("replace")
        ),
        [],
      );
      assert.deepEqual(await defaultRoutes(lab), [ownerLine(lab, "eth0")]);
      assert.deepEqual([...Deno.readDirSync(`${runtimeDir}/candidates`)], []);
    });
  },
);

for (
  const [mine, theirs] of [
    [["eth0", "eth2"], "eth1"],
    [["eth0", "eth1"], "eth2"],
  ] as const
) {
  Deno.test(
    `close() of a process with ${mine.join(" and ")} hands the route ` +
      `straight to ${theirs} of another process`,
    async () => {
      await withLab(["eth0", "eth1", "eth2"], async (lab, runtimeDir) => {
        const closing = await openArbiter(lab, runtimeDir);
        const other = await openArbiter(lab, runtimeDir);
        try {
          await other.offer(theirs, routeOf(lab, theirs));
          for (const name of mine) {
            await closing.offer(name, routeOf(lab, name));
          }
          assert.deepEqual(await defaultRoutes(lab), [
            ownerLine(lab, "eth0"),
          ]);
          const events = await defaultRouteEvents(lab, () => closing.close());
          // Swapped in place, once: never through the closing process's
          // other interface.
          assert.deepEqual(events, [
            `default via ${routeOf(lab, theirs).gateway} dev ${theirs} ` +
            "proto dhcp",
          ]);
          assert.deepEqual(await defaultRoutes(lab), [ownerLine(lab, theirs)]);
          assert.deepEqual(
            [...Deno.readDirSync(`${runtimeDir}/candidates`)].map((e) =>
              e.name
            ),
            [`${theirs}.json`],
          );
        } finally {
          await closing.close();
          await other.close();
        }
      });
    },
  );
}
