/**
 * Running the client from the command line: interfaces, settings, event
 * stream, readiness, signals and the one-shot mode.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { CliOptions } from "./args.ts";
import { eventLine, type StreamEvent } from "./events.ts";
import { Supervisor } from "../lib/client/supervisor.ts";
import {
  holdsLease,
  type LeaseFailEvent,
} from "../lib/client/interface_client.ts";
import type { ClientConfig } from "../lib/client/state_machine.ts";
import { DenoCommandRunner } from "../lib/process/command.ts";
import { DryRunRunner } from "../lib/process/dry_run.ts";
import { readAllLinks } from "../lib/net/link_ioctl.ts";
import { isValidDomainName } from "../lib/dns/domain_name.ts";
import { ResolvConfManager } from "../lib/dns/resolv_conf_manager.ts";
import { ResolvConfWriter } from "../lib/dns/resolv_conf_writer.ts";
import { runtimeDir as namespaceRuntimeDir } from "../lib/route/runtime_dir.ts";
import { LeaseStore } from "../lib/state/lease_store.ts";
import { actionsForSignal, takeRequests } from "../lib/control/requests.ts";
import { StateRecorder } from "./state.ts";
import { chooseInterfaces } from "./interfaces.ts";
import { HookRunner } from "../lib/hooks/hook_runner.ts";
import { runLeaseHooks } from "../lib/hooks/lease_hooks.ts";
import { hookEnvironment } from "../lib/hooks/hook_environment.ts";
import { errorText } from "../lib/log/error_text.ts";
import { IdlePageOut } from "../lib/process/page_out.ts";

const logger = getLogger(["ocidhcp", "cli"]);
const encoder = new TextEncoder();
// Long enough for a renewal's burst (ACK, `ip`, hooks, records) to finish.
const PAGE_OUT_DELAY_MS = 5_000;

function print(line: string): void {
  Deno.stdout.writeSync(
    encoder.encode(line.endsWith("\n") ? line : `${line}\n`),
  );
}

// dhcpcd sends the system host name by default and udhcpc users add it with
// -x hostname:...; a container's host name is how its DHCP server and DNS
// know it. One that is not a valid host name is not sent.
function defaultHostName(): string | undefined {
  try {
    const name = Deno.hostname();
    return isValidDomainName(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

function clientConfig(
  options: CliOptions,
): Omit<ClientConfig, "interface" | "hardwareAddress"> {
  const config: Omit<ClientConfig, "interface" | "hardwareAddress"> = {};
  const hostName = options.hostName ?? defaultHostName();
  if (hostName !== undefined && hostName !== "") config.hostName = hostName;
  if (options.fqdn !== undefined) config.fqdn = options.fqdn;
  if (options.clientId !== undefined) {
    config.clientIdentifier = options.clientId;
  }
  if (options.vendorClass !== undefined) {
    config.vendorClassIdentifier = options.vendorClass;
  }
  if (options.requestOptions.length > 0) {
    config.requestedOptions = options.requestOptions;
  }
  if (options.tries > 0) config.discoverTries = options.tries;
  config.retransmitCap = options.retransmitMax * 1000;
  return config;
}

function interfacesOf(options: CliOptions): string[] {
  if (options.interfaces.length > 0) return options.interfaces;
  const links = readAllLinks();
  const { chosen, skipped } = chooseInterfaces(links);
  for (const { name, reason } of skipped) {
    logger.debug("{interface}: skipped, {reason}", { interface: name, reason });
  }
  if (chosen.length === 0) {
    throw new Error(
      "no interface DHCP can run on (Ethernet-like, with broadcast) among " +
        `${links.map((link) => link.name).join(", ")}; name one`,
    );
  }
  logger.info("serving {interfaces}", { interfaces: chosen.join(", ") });
  return chosen;
}

function logFailure(error: unknown): void {
  logger.error("{error}", {
    error: errorText(error),
  });
}

async function writeReadyFile(path: string, names: string[]): Promise<void> {
  // Renamed into place, so a waiting entrypoint never reads half a file.
  const temporary = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(temporary, `${names.join(" ")}\n`);
  await Deno.rename(temporary, path);
}

/**
 * Runs the client until a signal stops it, or until configured with
 * --one-shot.
 *
 * @param options Parsed command-line options.
 * @returns The exit code.
 */
export async function run(options: CliOptions): Promise<number> {
  const interfaces = interfacesOf(options);
  if (!options.dryRun) {
    const runtimeDir = namespaceRuntimeDir({ override: options.runtimeDir });
    return await serve(options, { interfaces, runtimeDir });
  }
  // A dry run must not take part in the real default-route election, and
  // leaves nothing behind however it ends.
  const runtimeDir = await Deno.makeTempDir({ prefix: "ocidhcp-dry-run-" });
  try {
    return await serve(options, { interfaces, runtimeDir });
  } finally {
    await Deno.remove(runtimeDir, { recursive: true }).catch(() => {});
  }
}

async function serve(
  options: CliOptions,
  { interfaces, runtimeDir }: { interfaces: string[]; runtimeDir: string },
): Promise<number> {
  const real = new DenoCommandRunner();
  const runner = options.dryRun
    ? new DryRunRunner(real, (line) => print(`would run: ${line}`))
    : real;
  const recorder = new StateRecorder(
    options.dryRun || options.stateDir === undefined
      ? undefined
      : new LeaseStore(options.stateDir),
    runtimeDir,
  );

  const resolvConf = options.resolvConf;
  const dns = resolvConf === undefined ? undefined : new ResolvConfManager(
    options.dryRun
      ? {
        write: (content: string) => {
          print(`would write: ${resolvConf}\n${content.trimEnd()}`);
          return Promise.resolve();
        },
        restore: () => {
          print(`would restore: ${resolvConf}`);
          return Promise.resolve();
        },
      }
      : new ResolvConfWriter(resolvConf),
  );

  const hooks = options.script === undefined || options.dryRun
    ? undefined
    : new HookRunner(options.script, {
      timeoutMs: options.scriptTimeout * 1000,
    });
  let owner: string | undefined;
  // Hooks still running when the client stops are waited for (each is
  // bounded by its timeout): a one-shot run must not exit under its hook.
  const pendingHooks = new Set<Promise<unknown>>();
  const track = (pending: Promise<unknown>) => {
    pendingHooks.add(pending);
    void pending.finally(() => pendingHooks.delete(pending));
  };
  // Acquisitions that gave up, for the one-shot error message.
  const failed: LeaseFailEvent[] = [];

  // A daemon idles for hours between renewals; once it has been quiet for
  // a while, the pages start-up touched go back to the kernel.
  const pageOut = options.oneShot || options.dryRun
    ? undefined
    : new IdlePageOut({
      delayMs: PAGE_OUT_DELAY_MS,
      onResult: (result) => {
        if (result instanceof Error || result.error !== undefined) {
          logger.debug("cannot page out start-up code: {error}", {
            error: result instanceof Error ? errorText(result) : result.error,
          });
        }
      },
    });
  const bound = new Set<string>();
  let ready = false;
  const readyDone = Promise.withResolvers<void>();
  const emit = (event: StreamEvent) => {
    if (options.events) print(eventLine(event));
  };
  // Ready means usable: addresses, routes and resolv.conf are all in place,
  // and the leases are recorded for a restart.
  const onReady = async () => {
    await dns?.flush();
    await recorder.flush();
    logger.info("ready: {interfaces} configured", {
      interfaces: interfaces.join(", "),
    });
    emit({ type: "ready", interfaces });
    if (options.readyFile !== undefined && options.dryRun) {
      print(`would write: ${options.readyFile}`);
    } else if (options.readyFile !== undefined) {
      try {
        await writeReadyFile(options.readyFile, interfaces);
      } catch (error) {
        logger.error("cannot write the ready file {path}: {error}", {
          path: options.readyFile,
          error: errorText(error),
        });
      }
    }
    readyDone.resolve();
    pageOut?.poke();
  };

  // Signal listeners go in before anything is published: SIGUSR1's default
  // action would kill a process that a status file invites to be signalled.
  const running: { supervisor?: Supervisor } = {};
  const stopped = Promise.withResolvers<string>();
  const onUser1 = async () => {
    const supervisor = running.supervisor;
    if (supervisor === undefined) return;
    const actions = actionsForSignal(
      await takeRequests(runtimeDir, interfaces),
      interfaces,
    );
    const chosen = (action: string) =>
      [...actions].filter(([, a]) => a === action).map(([name]) => name);
    await supervisor.renew(chosen("renew"));
    await supervisor.release(chosen("release"));
  };
  const listeners: Array<[Deno.Signal, () => void]> = [
    ["SIGTERM", () => stopped.resolve("SIGTERM")],
    ["SIGINT", () => stopped.resolve("SIGINT")],
    ["SIGUSR1", () => void onUser1().catch(logFailure)],
    ["SIGUSR2", () => void running.supervisor?.release()],
  ];
  for (const [signal, listener] of listeners) {
    Deno.addSignalListener(signal, listener);
  }
  let listening = true;
  // Taken off before stopping, so a second SIGTERM or SIGINT during a stop
  // that hangs ends the process the default way.
  const stopListening = () => {
    if (!listening) return;
    listening = false;
    for (const [signal, listener] of listeners) {
      Deno.removeSignalListener(signal, listener);
    }
  };
  try {
    const supervisor = await Supervisor.start({
      interfaces,
      config: clientConfig(options),
      runner,
      noDefaultRoute: options.noDefaultRoute,
      foreign: options.foreign,
      runtimeDir,
      previousLeases: await recorder.previousLeases(interfaces),
      onStateChange: (client) => recorder.stateChanged(client),
      onEvent: (event) => {
        emit(event);
        if (event.type === "leasefail") {
          const env = hookEnvironment({
            event: "leasefail",
            interface: event.interface,
          }).env;
          if (hooks !== undefined) track(hooks.run("leasefail", env));
          if (options.oneShot) {
            failed.push(event);
            stopped.resolve("leasefail");
          }
          return;
        }
        if (event.type === "default-route") {
          owner = event.owner;
          recorder.ownerChanged(event.owner, event.previous);
          void dns?.setOwner(event.owner);
          return;
        }
        recorder.leaseEvent(event);
        if (ready) pageOut?.poke();
        if (hooks !== undefined) {
          track(runLeaseHooks(
            hooks,
            event,
            owner !== undefined ? { defaultRouteOwner: owner } : {},
          ));
        }
        const holds = holdsLease(event);
        if (holds === undefined) return;
        if (holds) {
          bound.add(event.interface);
          void dns?.update(event.interface, event.lease);
        } else {
          bound.delete(event.interface);
          void dns?.update(event.interface, undefined);
        }
        if (!ready && bound.size === interfaces.length) {
          ready = true;
          void onReady();
        }
      },
    });

    running.supervisor = supervisor;
    recorder.attach(supervisor.clients);

    let code = 0;
    if (options.oneShot) {
      const timer = setTimeout(
        () => stopped.resolve("timeout"),
        options.timeout * 1000,
      );
      const outcome = await Promise.race([
        readyDone.promise.then(() => "ready"),
        stopped.promise,
      ]);
      clearTimeout(timer);
      if (outcome === "SIGTERM" || outcome === "SIGINT") {
        logger.info("stopping on {signal}", { signal: outcome });
        // `ocidhcp --one-shot && exec app` must not start the app without its
        // network. Every interface bound but not yet flushed is still short
        // of resolv.conf and the lease records, so then all are named.
        const missing = interfaces.filter((name) => !bound.has(name));
        const unconfigured = missing.length > 0 ? missing : interfaces;
        console.error(
          `error: interrupted before ${unconfigured.join(", ")} ${
            unconfigured.length === 1 ? "was" : "were"
          } configured`,
        );
        code = 1;
      } else if (outcome === "leasefail") {
        const tries = failed[0]?.tries ?? options.tries;
        console.error(
          `error: no lease after ${tries} DHCPDISCOVERs on ${
            failed.map((event) => event.interface).join(", ")
          }`,
        );
        code = 1;
      } else if (outcome === "timeout") {
        const missing = [...supervisor.clients]
          .filter(([, client]) => client.lease === undefined)
          .map(([name]) => name);
        // udhcpc's scripts learn of a failed acquisition this way.
        await Promise.all(missing.map((name) =>
          hooks?.run(
            "leasefail",
            hookEnvironment({ event: "leasefail", interface: name }).env,
          )
        ));
        console.error(
          `error: no lease within ${options.timeout} s on ${
            missing.join(", ")
          }`,
        );
        code = 1;
      }
    } else {
      const signal = await stopped.promise;
      logger.info("stopping on {signal}", { signal });
    }

    stopListening();
    pageOut?.close();
    // A one-shot run leaves its configuration, default route included, for
    // the container to use after the client has exited.
    await supervisor.stop({
      release: options.release,
      handOver: !options.oneShot,
    });
    await Promise.allSettled(pendingHooks);
    await recorder.close();
    if (options.readyFile !== undefined && ready && !options.oneShot) {
      await Deno.remove(options.readyFile).catch(() => {});
    }
    return code;
  } finally {
    stopListening();
  }
}
