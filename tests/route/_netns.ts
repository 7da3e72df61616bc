/**
 * Network namespace labs for the route tests: a namespace per test with
 * veth pairs whose near ends carry addresses the test gives them.
 *
 * @module
 */

import {
  type CommandResult,
  type CommandRunner,
  DenoCommandRunner,
  runChecked,
} from "../../lib/process/command.ts";

const host = new DenoCommandRunner();
let counter = 0;

/** Runs commands inside a namespace through `ip netns exec`. */
export class NetnsRunner implements CommandRunner {
  readonly namespace: string;
  /** Every argv run, for assertions on what was (not) done. */
  readonly calls: string[][] = [];

  constructor(namespace: string) {
    this.namespace = namespace;
  }

  run(
    argv: readonly string[],
    options?: { stdin?: string },
  ): Promise<CommandResult> {
    this.calls.push([...argv]);
    return host.run(["ip", "netns", "exec", this.namespace, ...argv], options);
  }
}

/** One lab interface: `name` in the namespace with 198.18.N.2/24. */
export interface LabInterface {
  name: string;
  gateway: string;
}

/** A namespace with interfaces. */
export interface Lab {
  namespace: string;
  runner: NetnsRunner;
  interfaces: LabInterface[];
  /** Runs a command in the namespace and fails on a non-zero exit. */
  sh(...argv: string[]): Promise<string>;
  /** Spawns a long-running child inside the namespace. */
  spawn(argv: readonly string[]): Deno.ChildProcess;
  /** Deletes the namespace. */
  destroy(): Promise<void>;
}

/**
 * Creates a namespace with one veth pair per name; the peer stays in the
 * namespace, up, so the named end has carrier.
 */
export async function createLab(names: readonly string[]): Promise<Lab> {
  const namespace = `ocidhcp-t-${Deno.pid}-${counter++}`;
  await runChecked(host, ["ip", "netns", "add", namespace]);
  const runner = new NetnsRunner(namespace);
  const sh = (...argv: string[]) =>
    runChecked(host, ["ip", "netns", "exec", namespace, ...argv]);
  const lab: Lab = {
    namespace,
    runner,
    interfaces: [],
    sh,
    spawn(argv) {
      return new Deno.Command("ip", {
        args: ["netns", "exec", namespace, ...argv],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
    },
    async destroy() {
      // Processes left in the namespace (a killed client's route watcher)
      // would keep it alive.
      const pids = await host.run(["ip", "netns", "pids", namespace]);
      for (const pid of pids.stdout.split("\n").filter(Boolean)) {
        try {
          Deno.kill(Number(pid), "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      await host.run(["ip", "netns", "del", namespace]);
    },
  };
  try {
    for (const [index, name] of names.entries()) {
      // High, distinct peer indexes avoid the kernel's delayed operstate
      // when a veth's ifindex equals its peer's iflink.
      await sh(
        "ip",
        "link",
        "add",
        name,
        "type",
        "veth",
        "peer",
        "name",
        `peer${index}`,
        "index",
        String(1000 + index),
      );
      await sh("ip", "link", "set", `peer${index}`, "up");
      await sh("ip", "link", "set", name, "up");
      await sh("ip", "addr", "add", `198.18.${index}.2/24`, "dev", name);
      lab.interfaces.push({ name, gateway: `198.18.${index}.1` });
    }
  } catch (error) {
    await lab.destroy();
    throw error;
  }
  return lab;
}

/** Lists the default routes of the lab's main table as "dev via metric". */
export async function defaultRoutes(lab: Lab): Promise<string[]> {
  const text = await lab.sh("ip", "-4", "-j", "route", "show", "default");
  const routes: Array<{ dev?: string; gateway?: string; metric?: number }> =
    text.trim() === "" ? [] : JSON.parse(text);
  return routes.map((r) => `${r.dev} ${r.gateway} ${r.metric ?? 0}`);
}

/** Waits until a condition holds, or fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs: number,
): Promise<number> {
  const start = performance.now();
  while (true) {
    if (await condition()) return performance.now() - start;
    if (performance.now() - start > timeoutMs) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
