/**
 * Network namespaces through iproute2, for the lab that tests ocidhcp
 * against real DHCP servers.
 *
 * Lab namespaces are named `ocidhcp-<pid>-<n>-...` (and test namespaces
 * `ocidhcp-t-<pid>-...`), so a later run can tell which ones belong to a
 * process that died without cleaning up and remove them.
 *
 * @module
 */

import {
  type CommandResult,
  type CommandRunner,
  DenoCommandRunner,
  runChecked,
  type RunOptions,
} from "../process/command.ts";

/**
 * Builds the argv that runs a program inside a network namespace.
 *
 * @param namespace The namespace name, as `ip netns list` shows it.
 * @param argv The program and its arguments.
 * @returns `["ip", "netns", "exec", namespace, ...argv]`.
 * @throws {TypeError} If argv is empty.
 *
 * @example Run `ip addr` in a namespace
 * ```ts
 * import { netnsExec } from "./netns.ts";
 * netnsExec("ns1", ["ip", "addr"]);
 * // ["ip", "netns", "exec", "ns1", "ip", "addr"]
 * ```
 */
export function netnsExec(
  namespace: string,
  argv: readonly string[],
): string[] {
  if (argv.length === 0) throw new TypeError("argv must not be empty");
  return ["ip", "netns", "exec", namespace, ...argv];
}

/**
 * A command runner whose every command runs inside one network namespace,
 * so library code that changes the system can be pointed at a lab.
 */
export class NetnsRunner implements CommandRunner {
  /** The namespace the commands run in. */
  readonly namespace: string;
  #runner: CommandRunner;

  /**
   * @param namespace The namespace name.
   * @param runner The runner that runs `ip netns exec`.
   */
  constructor(
    namespace: string,
    runner: CommandRunner = new DenoCommandRunner(),
  ) {
    this.namespace = namespace;
    this.#runner = runner;
  }

  /** {@inheritDoc CommandRunner.run} */
  run(
    argv: readonly string[],
    options: RunOptions = {},
  ): Promise<CommandResult> {
    return this.#runner.run(netnsExec(this.namespace, argv), options);
  }
}

/** Options shared by the namespace helpers. */
export interface NamespaceOptions {
  /**
   * The runner for `ip` on the host.
   *
   * @default {new DenoCommandRunner()}
   */
  runner?: CommandRunner;
}

/**
 * Creates a network namespace and brings its loopback up.
 *
 * @param name The namespace name.
 * @param options The runner to use.
 * @returns When the namespace exists.
 * @throws {CommandFailedError} If `ip` fails, e.g. the name is taken.
 */
export async function createNamespace(
  name: string,
  options: NamespaceOptions = {},
): Promise<void> {
  const runner = options.runner ?? new DenoCommandRunner();
  await runChecked(runner, ["ip", "netns", "add", name]);
  await runChecked(runner, ["ip", "-n", name, "link", "set", "lo", "up"]);
}

/**
 * Kills every process left in a namespace, then deletes it. Deleting a
 * namespace that does not exist is not an error, so cleanup can be retried.
 *
 * @param name The namespace name.
 * @param options The runner to use.
 * @returns When the namespace is gone.
 * @throws {CommandFailedError} If `ip netns delete` fails for another reason.
 */
export async function deleteNamespace(
  name: string,
  options: NamespaceOptions = {},
): Promise<void> {
  const runner = options.runner ?? new DenoCommandRunner();
  // Files `ip netns exec` mounts over /etc for the namespace, if any.
  await Deno.remove(`/etc/netns/${name}`, { recursive: true }).catch(() => {});
  if (!(await listNamespaces(options)).includes(name)) return;
  // A process still inside keeps the namespace's interfaces alive after
  // the name is gone, and a server there would keep answering.
  const pids = await runner.run(["ip", "netns", "pids", name]);
  for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) {
    try {
      Deno.kill(Number(pid), "SIGKILL");
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  const result = await runner.run(["ip", "netns", "delete", name]);
  if (result.code !== 0 && (await listNamespaces(options)).includes(name)) {
    await runChecked(runner, ["ip", "netns", "delete", name]);
  }
}

/**
 * Lists the named network namespaces.
 *
 * @param options The runner to use.
 * @returns The namespace names.
 * @throws {CommandFailedError} If `ip netns list` fails.
 */
export async function listNamespaces(
  options: NamespaceOptions = {},
): Promise<string[]> {
  const runner = options.runner ?? new DenoCommandRunner();
  const text = await runChecked(runner, ["ip", "-j", "netns", "list"]);
  // With no namespace at all, `ip -j netns list` prints nothing.
  if (text.trim() === "") return [];
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) return [];
  const names: string[] = [];
  for (const entry of parsed) {
    if (typeof entry === "object" && entry !== null && "name" in entry) {
      if (typeof entry.name === "string") names.push(entry.name);
    }
  }
  return names;
}

const LAB_NAME = /^ocidhcp-(?:t-)?([0-9]+)-/;

/**
 * Reads the owning process id out of a lab or test namespace name.
 *
 * @param name A namespace name such as `ocidhcp-1234-1-c`.
 * @returns The process id, or undefined if the name is not a lab's.
 */
export function labNamespacePid(name: string): number | undefined {
  const match = LAB_NAME.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function processExists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Options for {@linkcode sweepStaleLabs}. */
export interface SweepOptions extends NamespaceOptions {
  /**
   * Tells whether a process still runs.
   *
   * @default {a look for /proc/<pid>}
   */
  isAlive?: (pid: number) => boolean;
  /**
   * Where labs keep their temporary directories.
   *
   * @default {$TMPDIR or "/tmp"}
   */
  tempDirectory?: string;
}

/**
 * Deletes the lab namespaces whose owning process no longer exists, killing
 * what still runs in them, and removes such labs' temporary directories
 * (`ocidhcp-<pid>-...` in the temporary directory), so an interrupted run
 * leaves nothing behind for the next one.
 *
 * Limitations: a namespace whose owner's pid was reused by an unrelated
 * process is kept until that process ends; owners are looked up in this
 * process's PID namespace.
 *
 * @param options The runner, the liveness check and the temporary
 * directory.
 * @returns The names of the namespaces deleted, then the paths of the
 * directories removed.
 * @throws {CommandFailedError} If `ip` fails.
 */
export async function sweepStaleLabs(
  options: SweepOptions = {},
): Promise<string[]> {
  const isAlive = options.isAlive ?? processExists;
  const stale = (name: string): boolean => {
    const pid = labNamespacePid(name);
    return pid !== undefined && pid !== Deno.pid && !isAlive(pid);
  };
  const removed = (await listNamespaces(options)).filter(stale);
  for (const name of removed) await deleteNamespace(name, options);
  const temp = options.tempDirectory ?? Deno.env.get("TMPDIR") ?? "/tmp";
  try {
    for await (const entry of Deno.readDir(temp)) {
      if (!entry.isDirectory || !stale(entry.name)) continue;
      const path = `${temp}/${entry.name}`;
      try {
        await Deno.remove(path, { recursive: true });
        removed.push(path);
      } catch (error) {
        // Another process may be sweeping at the same time.
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return removed;
}
