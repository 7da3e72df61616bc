/**
 * Measures ocidhcp against the reference DHCP clients in a network-namespace
 * lab served by dnsmasq: time from spawn until every interface has its
 * address and a default route exists, resident memory once bound, CPU to
 * bind and CPU over an idle window. Clients alternate within each run so
 * machine noise spreads evenly. Run as root: `deno task benchmark`.
 *
 * Everything runs inside lab namespaces; the resolver file of the client
 * namespace is replaced (through /etc/netns) so the reference clients'
 * scripts cannot rewrite the host's /etc/resolv.conf.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Lab } from "../lib/lab/lab.ts";
import type { LabProcess } from "../lib/lab/lab_process.ts";
import {
  CLIENT_KINDS,
  clientCommands,
  type ClientKind,
  isInstalled,
} from "./benchmark/clients.ts";
import { NamespaceMonitor } from "./benchmark/monitor.ts";
import { bundle } from "./bundle.ts";
import {
  cpuOverWindowMs,
  cpuWithChildrenMs,
  residentKib,
} from "./benchmark/proc.ts";
import {
  type ClientResult,
  formatTable,
  tableRows,
} from "./benchmark/report.ts";

const USAGE = `usage: deno task benchmark [options]

  --interfaces LIST    interface counts, comma-separated (default 1,4,16,64)
  --runs N             runs per client and count (default 5)
  --idle-seconds N     idle CPU window, measured in the last run; 0 skips it
                       (default 60)
  --clients LIST       clients, comma-separated (default: those installed of
                       ${CLIENT_KINDS.join(",")})
  --ocidhcp FORM       what ocidhcp runs: "bundle", the module the compile
                       task embeds (default), or "source", cli/main.ts
  --markdown           print the table as Markdown
  -h, --help           show this help`;

// dhcpcd takes several seconds; anything slower than this has failed.
const CONFIGURED_TIMEOUT_MS = 30000;
// Lets hook scripts finish and the client settle before memory is read.
const SETTLE_MS = 1000;
const STOP_GRACE_MS = 2000;

interface Options {
  counts: number[];
  runs: number;
  idleSeconds: number;
  clients: ClientKind[];
  markdown: boolean;
  form: "bundle" | "source";
}

function positiveList(text: string, flag: string): number[] {
  const values = text.split(",").map((part) => Number(part.trim()));
  for (const value of values) {
    if (!Number.isInteger(value) || value < 1 || value > 256) {
      throw new RangeError(`${flag} takes counts of 1 to 256, got "${text}"`);
    }
  }
  return values;
}

function parseOptions(args: string[]): Options | undefined {
  const { values } = parseArgs({
    args,
    options: {
      interfaces: { type: "string", default: "1,4,16,64" },
      runs: { type: "string", default: "5" },
      "idle-seconds": { type: "string", default: "60" },
      clients: { type: "string" },
      markdown: { type: "boolean", default: false },
      ocidhcp: { type: "string", default: "bundle" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return undefined;
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
    throw new RangeError(`--runs takes 1 to 100, got "${values.runs}"`);
  }
  const idleSeconds = Number(values["idle-seconds"]);
  if (!Number.isFinite(idleSeconds) || idleSeconds < 0) {
    throw new RangeError(
      `--idle-seconds takes a number of 0 or more, got ` +
        `"${values["idle-seconds"]}"`,
    );
  }
  const clients = values.clients === undefined
    ? [...CLIENT_KINDS]
    : values.clients.split(",").map((name) => name.trim());
  for (const client of clients) {
    if (!(CLIENT_KINDS as readonly string[]).includes(client)) {
      throw new TypeError(
        `--clients takes ${CLIENT_KINDS.join(", ")}, got "${client}"`,
      );
    }
  }
  const form = values.ocidhcp;
  if (form !== "bundle" && form !== "source") {
    throw new TypeError(`--ocidhcp takes bundle or source, got "${form}"`);
  }
  return {
    form,
    counts: positiveList(values.interfaces, "--interfaces"),
    runs,
    idleSeconds,
    clients: clients as ClientKind[],
    markdown: values.markdown,
  };
}

function progress(message: string): void {
  console.error(`benchmark: ${message}`);
}

async function ip(args: string[], stdin?: string): Promise<void> {
  const child = new Deno.Command("ip", {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const { code, stderr } = await child.output();
  if (code !== 0) {
    throw new Error(
      `ip ${args.join(" ")} failed with code ${code}: ` +
        new TextDecoder().decode(stderr).trim().replaceAll("\n", " / "),
    );
  }
}

/** The processes of the client namespace, less the monitor. */
async function namespacePids(
  namespace: string,
  monitor: NamespaceMonitor,
): Promise<number[]> {
  const { stdout } = await new Deno.Command("ip", {
    args: ["netns", "pids", namespace],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(stdout).split(/\s+/).filter(Boolean)
    .map(Number).filter((pid) => pid !== monitor.pid && pid !== Deno.pid);
}

/** Kills leftovers, removes addresses and default routes, links up. */
async function resetNamespace(
  lab: Lab,
  monitor: NamespaceMonitor,
): Promise<void> {
  for (const pid of await namespacePids(lab.clientNamespace, monitor)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  const batch = [
    ...lab.links.map((link) => `link set ${link.name} up`),
    "address flush scope global",
    "route flush exact 0.0.0.0/0",
  ];
  await ip(["-n", lab.clientNamespace, "-batch", "-"], batch.join("\n"));
  await monitor.sync();
  monitor.clear();
}

function start(
  lab: Lab,
  kind: ClientKind,
  commands: string[][],
  names: string[],
): LabProcess[] {
  if (kind === "ocidhcp") return [lab.spawnClient(names)];
  return commands.map((argv) => lab.spawn(argv));
}

interface RunOutcome {
  time?: number;
  residentKib?: number;
  startCpuMs?: number;
  idleCpuMs?: number;
  idleResidentKib?: number;
  failure?: string;
}

async function measure(
  lab: Lab,
  monitor: NamespaceMonitor,
  kind: ClientKind,
  idleMs: number,
): Promise<RunOutcome> {
  const names = lab.links.map((link) => link.name);
  const directory = await Deno.makeTempDir({ prefix: `${lab.id}-${kind}-` });
  let processes: LabProcess[] = [];
  try {
    const commands = kind === "ocidhcp"
      ? []
      : await clientCommands(kind, names, directory);
    await resetNamespace(lab, monitor);
    const spawnedAt = performance.timeOrigin + performance.now();
    processes = start(lab, kind, commands, names);
    const configured = await monitor.waitConfigured(names, {
      timeoutMs: CONFIGURED_TIMEOUT_MS,
      abort: Promise.race(processes.map((process) => process.status)),
    });
    if (configured === undefined) {
      const exited = processes.find((process) => process.exited);
      const output = processes.map((process) => process.output()).join("\n");
      const tail = output.trim().split("\n").slice(-3).join(" / ");
      return {
        failure: `${exited ? "exited" : "timed out"} with ` +
          `${monitor.describe()}; last output: ${tail}`,
      };
    }
    const time = configured.at - spawnedAt;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const pids = await namespacePids(lab.clientNamespace, monitor);
    const outcome: RunOutcome = {
      time,
      residentKib: residentKib(pids),
      startCpuMs: cpuWithChildrenMs(pids),
    };
    if (idleMs > 0) {
      outcome.idleCpuMs = await cpuOverWindowMs(pids, idleMs);
      outcome.idleResidentKib = residentKib(
        await namespacePids(lab.clientNamespace, monitor),
      );
    }
    return outcome;
  } finally {
    await Promise.allSettled(
      processes.map((process) => process.stop(STOP_GRACE_MS)),
    );
    await Deno.remove(directory, { recursive: true }).catch(() => {});
  }
}

// `ip netns exec` bind-mounts /etc/netns/<namespace>/resolv.conf over
// /etc/resolv.conf, so udhcpc's and dhclient's scripts write there instead.
async function shieldResolver(namespace: string): Promise<() => Promise<void>> {
  const created = !(await Deno.stat("/etc/netns").catch(() => undefined));
  const directory = `/etc/netns/${namespace}`;
  await Deno.mkdir(directory, { recursive: true });
  await Deno.writeTextFile(`${directory}/resolv.conf`, "");
  return async () => {
    await Deno.remove(directory, { recursive: true }).catch(() => {});
    if (created) await Deno.remove("/etc/netns").catch(() => {});
  };
}

async function benchmarkCount(
  count: number,
  options: Options,
  results: ClientResult[],
): Promise<void> {
  const entries = options.clients.map((client): ClientResult => {
    const result: ClientResult = {
      client,
      interfaces: count,
      times: [],
      residentKib: [],
      startCpuMs: [],
      idleCpuMs: undefined,
      idleResidentKib: undefined,
      notes: [],
    };
    results.push(result);
    return result;
  });
  progress(`building a lab with ${count} interfaces`);
  await using lab = await Lab.create({ interfaces: count, server: "dnsmasq" });
  const unshield = await shieldResolver(lab.clientNamespace);
  const monitor = await NamespaceMonitor.start(lab.clientNamespace);
  try {
    for (let run = 0; run < options.runs; run++) {
      // Rotate the order each run so no client always goes first.
      const order = entries.map((_, i) => entries[(i + run) % entries.length])
        .filter((entry) => entry !== undefined);
      const last = run === options.runs - 1;
      for (const entry of order) {
        const idleMs = last ? options.idleSeconds * 1000 : 0;
        const outcome = await measure(lab, monitor, entry.client, idleMs)
          .catch((error: unknown): RunOutcome => ({
            failure: error instanceof Error ? error.message : String(error),
          }));
        if (outcome.failure !== undefined) {
          entry.notes.push(`run ${run + 1}: ${outcome.failure}`);
          progress(
            `${entry.client} x${count} run ${run + 1} failed: ` +
              outcome.failure,
          );
          continue;
        }
        if (outcome.time !== undefined) entry.times.push(outcome.time);
        if (outcome.residentKib !== undefined) {
          entry.residentKib.push(outcome.residentKib);
        }
        if (outcome.startCpuMs !== undefined) {
          entry.startCpuMs.push(outcome.startCpuMs);
        }
        if (outcome.idleCpuMs !== undefined) {
          entry.idleCpuMs = outcome.idleCpuMs;
        }
        if (outcome.idleResidentKib !== undefined) {
          entry.idleResidentKib = outcome.idleResidentKib;
        }
        progress(
          `${entry.client} x${count} run ${run + 1}: ` +
            `${outcome.time?.toFixed(1)} ms, ` +
            `${((outcome.residentKib ?? 0) / 1024).toFixed(1)} MiB` +
            (outcome.idleCpuMs === undefined
              ? ""
              : `, idle CPU ${outcome.idleCpuMs.toFixed(1)} ms`),
        );
      }
    }
  } finally {
    await monitor.close();
    await unshield();
  }
}

async function main(args: string[]): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(args);
  } catch (error) {
    console.error(`${USAGE}\nerror: ${(error as Error).message}`);
    return 2;
  }
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }
  if (Deno.uid() !== 0) {
    console.error(
      "error: the benchmark builds network namespaces; run as root",
    );
    return 1;
  }
  const skipped = options.clients.filter((client) => !isInstalled(client));
  options.clients = options.clients.filter((client) => isInstalled(client));
  const results: ClientResult[] = [];
  const bundleDir = await Deno.makeTempDir({ prefix: "ocidhcp-benchmark-" });
  try {
    // The lab runs $OCIDHCP_BUNDLE in place of cli/main.ts; one set in the
    // environment must not stand in for the source either.
    Deno.env.delete("OCIDHCP_BUNDLE");
    if (options.form === "bundle" && options.clients.includes("ocidhcp")) {
      const path = `${bundleDir}/ocidhcp.js`;
      progress("bundling ocidhcp");
      await bundle(path);
      Deno.env.set("OCIDHCP_BUNDLE", path);
    }
    for (const count of options.counts) {
      await benchmarkCount(count, options, results);
    }
  } finally {
    await Deno.remove(bundleDir, { recursive: true });
  }
  console.log(formatTable(tableRows(results, options.runs), options.markdown));
  console.log(
    `\nocidhcp: deno run of ${
      options.form === "bundle"
        ? "the bundle the compile task embeds"
        : "cli/main.ts"
    }; time: spawn (through ip netns exec) to the kernel notification that ` +
      `completed the last address or default route; RSS: sum over the ` +
      `client's processes ${SETTLE_MS} ms after that; start CPU: CPU time ` +
      `of those processes and the scripts they waited for; idle CPU and ` +
      `idle RSS: ` +
      (options.idleSeconds > 0
        ? `over and at the end of ${options.idleSeconds} s in the last run.`
        : "not measured (--idle-seconds 0)."),
  );
  for (const client of skipped) {
    console.log(`- ${client}: not installed, skipped`);
  }
  for (const result of results) {
    for (const note of result.notes) {
      console.log(`- ${result.client} x${result.interfaces}: ${note}`);
    }
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
