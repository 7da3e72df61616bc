/**
 * The `ocidhcp status`, `ocidhcp renew` and `ocidhcp release` subcommands:
 * they read the status snapshots of running clients and send them requests.
 * Exit codes: 0 success, 1 runtime failure, 2 bad arguments.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  type ControlAction,
  NotRunningError,
  requestAction,
} from "../lib/control/requests.ts";
import { checkInterfaceName } from "../lib/route/interface_claim.ts";
import { runtimeDir } from "../lib/route/runtime_dir.ts";
import { StateError } from "../lib/state/state_error.ts";
import {
  type InterfaceStatus,
  readStatuses,
} from "../lib/state/status_store.ts";
import { errorText } from "../lib/log/error_text.ts";

/** The subcommands this module runs. */
export type ControlSubcommand = "status" | "renew" | "release";

/** The usage line of `ocidhcp status`. */
export const STATUS_USAGE =
  "usage: ocidhcp status [--json] [--runtime-dir DIR] [IFACE...]";
/** The usage line of `ocidhcp renew`. */
export const RENEW_USAGE = "usage: ocidhcp renew [--runtime-dir DIR] IFACE...";
/** The usage line of `ocidhcp release`. */
export const RELEASE_USAGE =
  "usage: ocidhcp release [--runtime-dir DIR] IFACE...";

const USAGES: Record<ControlSubcommand, string> = {
  status: STATUS_USAGE,
  renew: RENEW_USAGE,
  release: RELEASE_USAGE,
};

/** Where output goes and what time it is; the console and now by default. */
export interface ControlOptions {
  /** Prints one line (or block) to standard output. */
  stdout?: (text: string) => void;
  /** Prints one line to standard error. */
  stderr?: (text: string) => void;
  /** Wall-clock milliseconds, as Date.now(). */
  now?: () => number;
}

class UsageProblem extends Error {}

interface ParsedControl {
  json: boolean;
  runtimeDir: string | undefined;
  interfaces: string[];
  help: boolean;
}

function parse(
  subcommand: ControlSubcommand,
  args: readonly string[],
): ParsedControl {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        "runtime-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
        ...(subcommand === "status" ? { json: { type: "boolean" } } : {}),
      },
    });
  } catch (error) {
    // node:util words its errors for Node users; keep the part that names
    // the flag.
    const message = errorText(error);
    throw new UsageProblem(message.split(". ")[0] ?? message);
  }
  const { values, positionals } = parsed;
  const interfaces = positionals.map((name) => {
    try {
      return checkInterfaceName(name);
    } catch (error) {
      throw new UsageProblem(
        error instanceof Error ? `IFACE: ${error.message}` : String(error),
      );
    }
  });
  const help = values.help === true;
  if (!help && subcommand !== "status" && interfaces.length === 0) {
    throw new UsageProblem("no interface given");
  }
  const dir = values["runtime-dir"];
  if (typeof dir === "string" && dir === "") {
    throw new UsageProblem("--runtime-dir must not be empty");
  }
  return {
    json: "json" in values && values.json === true,
    runtimeDir: typeof dir === "string" ? dir : undefined,
    interfaces: [...new Set(interfaces)],
    help,
  };
}

/**
 * Formats a duration the way people read a countdown.
 *
 * @param ms Milliseconds.
 * @returns Such as "45s", "59m 58s", "3h 05m" or "2d 04h".
 */
function duration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86400);
  const hours = Math.floor(total / 3600) % 24;
  const minutes = Math.floor(total / 60) % 60;
  const seconds = total % 60;
  const two = (n: number): string => String(n).padStart(2, "0");
  if (days > 0) return `${days}d ${two(hours)}h`;
  if (hours > 0) return `${hours}h ${two(minutes)}m`;
  if (minutes > 0) return `${minutes}m ${two(seconds)}s`;
  return `${seconds}s`;
}

function leaseLeft(status: InterfaceStatus, now: number): string {
  if (status.expiresAt === undefined) return "-";
  if (status.expiresAt === Infinity) return "infinite";
  return status.expiresAt <= now ? "expired" : duration(status.expiresAt - now);
}

function nextEvent(status: InterfaceStatus, now: number): string {
  if (status.nextEventAt === undefined) return "-";
  return status.nextEventAt <= now ? "due" : duration(status.nextEventAt - now);
}

/**
 * Lays the statuses out as a table with a header row.
 */
function table(statuses: readonly InterfaceStatus[], now: number): string {
  const rows = [[
    "INTERFACE",
    "STATE",
    "ADDRESS",
    "SERVER",
    "LEASE LEFT",
    "NEXT EVENT",
    "DEFAULT ROUTE",
    "PID",
    "STALE",
  ]];
  for (const status of statuses) {
    rows.push([
      status.interface,
      status.state,
      status.address === undefined
        ? "-"
        : `${status.address}/${status.prefix ?? "?"}`,
      status.serverIdentifier ?? "-",
      leaseLeft(status, now),
      status.stale ? "-" : nextEvent(status, now),
      status.defaultRouteOwner === true ? "yes" : "no",
      String(status.pid),
      status.stale ? "yes" : "no",
    ]);
  }
  const widths = rows[0]!.map((_, column) =>
    Math.max(...rows.map((row) => row[column]!.length))
  );
  return rows.map((row) =>
    row.map((cell, column) =>
      column === row.length - 1 ? cell : cell.padEnd(widths[column]!)
    ).join("  ")
  ).join("\n");
}

async function status(
  dir: string,
  parsed: ParsedControl,
  io: Required<ControlOptions>,
): Promise<number> {
  let statuses = await readStatuses(dir);
  let code = 0;
  if (parsed.interfaces.length > 0) {
    const named = new Set(parsed.interfaces);
    statuses = statuses.filter((status) => named.has(status.interface));
    for (const name of parsed.interfaces) {
      const found = statuses.find((status) => status.interface === name);
      if (found === undefined) {
        io.stderr(`error: no ocidhcp process reports on ${name} in ${dir}`);
        code = 1;
      } else if (found.stale) {
        io.stderr(
          `error: ${name}: process ${found.pid} no longer manages it ` +
            `(stale status)`,
        );
        code = 1;
      }
    }
  }
  if (parsed.json) {
    io.stdout(JSON.stringify(
      { interfaces: statuses },
      (_key, value) => value === Infinity ? null : value,
      2,
    ));
  } else if (statuses.length === 0 && parsed.interfaces.length === 0) {
    io.stdout(`no ocidhcp process reports on any interface in ${dir}`);
  } else if (statuses.length > 0) {
    io.stdout(table(statuses, io.now()));
  }
  return code;
}

async function request(
  dir: string,
  parsed: ParsedControl,
  action: ControlAction,
  io: Required<ControlOptions>,
): Promise<number> {
  let code = 0;
  for (const name of parsed.interfaces) {
    try {
      const pid = await requestAction(dir, name, action);
      io.stdout(`${name}: asked process ${pid} to ${action}`);
    } catch (error) {
      if (
        !(error instanceof NotRunningError || error instanceof StateError)
      ) {
        throw error;
      }
      io.stderr(`error: ${error.message}`);
      code = 1;
    }
  }
  return code;
}

/**
 * Runs `ocidhcp status`, `ocidhcp renew` or `ocidhcp release`.
 *
 * `status [--json] [--runtime-dir DIR] [IFACE...]` prints a table of the
 * interfaces managed in the runtime directory (or only the named ones), or
 * with `--json` one document `{ "interfaces": [...] }` whose entries are the
 * status snapshots with a `stale` flag (wall-clock times in ms since the
 * epoch; null for the times of an infinite lease). It fails when a named
 * interface has no status or a stale one.
 *
 * `renew IFACE...` and `release IFACE...` ask the process managing each
 * interface to act, and print the process asked.
 *
 * @param subcommand The subcommand.
 * @param args The arguments after the subcommand.
 * @param options Output and clock, for tests; the console and now by
 * default.
 * @returns The exit code: 0 success, 1 runtime failure, 2 bad arguments.
 *
 * @example Wire into the main command
 * ```ts ignore
 * if (args[0] === "status" || args[0] === "renew" || args[0] === "release") {
 *   Deno.exit(await runControl(args[0], args.slice(1)));
 * }
 * ```
 */
export async function runControl(
  subcommand: ControlSubcommand,
  args: readonly string[],
  options: ControlOptions = {},
): Promise<number> {
  const io: Required<ControlOptions> = {
    stdout: options.stdout ?? ((text) => console.log(text)),
    stderr: options.stderr ?? ((text) => console.error(text)),
    now: options.now ?? Date.now,
  };
  const usage = USAGES[subcommand];
  let parsed: ParsedControl;
  try {
    parsed = parse(subcommand, args);
  } catch (error) {
    if (!(error instanceof UsageProblem)) throw error;
    io.stderr(`${usage}\nocidhcp ${subcommand}: ${error.message}`);
    return 2;
  }
  if (parsed.help) {
    io.stdout(usage);
    return 0;
  }
  try {
    const dir = runtimeDir({ override: parsed.runtimeDir });
    return subcommand === "status"
      ? await status(dir, parsed, io)
      : await request(dir, parsed, subcommand, io);
  } catch (error) {
    io.stderr(
      `error: ${errorText(error)}`,
    );
    return 1;
  }
}
