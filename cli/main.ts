/**
 * The `ocidhcp` command: parses arguments, configures logging, runs the
 * supervisor and maps outcomes to exit codes (0 success, 1 runtime failure,
 * 2 bad arguments).
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import denoConfig from "../deno.json" with { type: "json" };
import { HELP, parseCli, PROGRAM, USAGE, UsageError } from "./args.ts";
import { configureLogging } from "./logging.ts";
import { Supervisor } from "../lib/client/supervisor.ts";
import type { ClientConfig } from "../lib/client/state_machine.ts";

const logger = getLogger(["ocidhcp", "cli"]);

function fail(message: string): number {
  console.error(`error: ${message}`);
  return 1;
}

/**
 * Runs the command.
 *
 * @param args The arguments after the program name.
 * @returns The exit code.
 */
export async function main(args: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseCli(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${USAGE}\n${PROGRAM}: ${error.message}`);
    return 2;
  }
  if (options.help) {
    console.log(HELP);
    return 0;
  }
  if (options.version) {
    console.log(`${PROGRAM} ${denoConfig.version}`);
    return 0;
  }
  configureLogging(options.logLevel, options.logFormat);

  const config: Omit<ClientConfig, "interface" | "hardwareAddress"> = {};
  if (options.hostName !== undefined) config.hostName = options.hostName;
  if (options.vendorClass !== undefined) {
    config.vendorClassIdentifier = options.vendorClass;
  }

  let supervisor: Supervisor;
  try {
    supervisor = await Supervisor.start({
      interfaces: options.interfaces,
      config,
      noDefaultRoute: options.noDefaultRoute,
      foreign: options.foreign,
      ...(options.runtimeDir ? { runtimeDir: options.runtimeDir } : {}),
    });
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }

  const stopped = Promise.withResolvers<string>();
  const listeners: Array<[Deno.Signal, () => void]> = [
    ["SIGTERM", () => stopped.resolve("SIGTERM")],
    ["SIGINT", () => stopped.resolve("SIGINT")],
    ["SIGUSR1", () => void supervisor.renew()],
    ["SIGUSR2", () => void supervisor.release()],
  ];
  for (const [signal, listener] of listeners) {
    Deno.addSignalListener(signal, listener);
  }

  let code = 0;
  if (options.oneShot) {
    const timer = setTimeout(
      () => stopped.resolve("timeout"),
      options.timeout * 1000,
    );
    const outcome = await Promise.race([
      supervisor.waitAllBound().then(() => "bound"),
      stopped.promise,
    ]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      const missing = [...supervisor.clients]
        .filter(([, client]) => client.lease === undefined)
        .map(([name]) => name);
      code = fail(
        `no lease within ${options.timeout} s on ${missing.join(", ")}`,
      );
    }
  } else {
    const signal = await stopped.promise;
    logger.info("stopping on {signal}", { signal });
  }

  for (const [signal, listener] of listeners) {
    Deno.removeSignalListener(signal, listener);
  }
  // A one-shot run leaves its configuration for the container to use; a
  // failed one releases nothing it never got.
  await supervisor.stop({ release: options.release });
  return code;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
