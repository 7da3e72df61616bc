/**
 * The `ocidhcp` command: parses arguments, configures logging, and runs the
 * client or one of its subcommands. Exit codes: 0 success, 1 runtime
 * failure, 2 bad arguments.
 *
 * @module
 */

import denoConfig from "../deno.json" with { type: "json" };
import { HELP, parseCli, PROGRAM, USAGE, UsageError } from "./args.ts";
import { errorText } from "../lib/log/error_text.ts";

const SUBCOMMANDS = new Set(["status", "renew", "release"]);

/**
 * Runs the command.
 *
 * @param args The arguments after the program name.
 * @returns The exit code.
 */
export async function main(args: readonly string[]): Promise<number> {
  const [first, ...rest] = args;
  // The client and the subcommands are loaded only when used: --help,
  // --version and argument errors answer without loading LogTape, the
  // sockets or iproute2 wrappers.
  if (first !== undefined && SUBCOMMANDS.has(first)) {
    const { runControl } = await import("./control.ts");
    return await runControl(first as "status" | "renew" | "release", rest);
  }
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
  const [{ configureLogging }, { run }] = await Promise.all([
    import("./logging.ts"),
    import("./run.ts"),
  ]);
  configureLogging(options.logLevel, options.logFormat);
  try {
    return await run(options);
  } catch (error) {
    console.error(`error: ${errorText(error)}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
