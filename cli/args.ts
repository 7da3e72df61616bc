/**
 * Command-line parsing for `ocidhcp`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { LogFormat } from "./logging.ts";
import type { ForeignPolicy } from "../lib/route/default_route_policy.ts";

/** The program's name as users type it. */
export const PROGRAM = "ocidhcp";

/** The one-line usage printed with every argument error. */
export const USAGE = `usage: ${PROGRAM} [options] IFACE...`;

/** The full help text, printed by --help. */
export const HELP = `${USAGE}

DHCPv4 client for containers. Acquires, applies, renews and releases a lease
on each IFACE and keeps exactly one default route: the one of the interface
whose name sorts first (byte order) among those whose lease has a router.

Options:
  -q, --one-shot             exit 0 once every IFACE is configured, leaving
                             the configuration in place; exit 1 when that
                             takes longer than --timeout
  -t, --timeout SECONDS      time limit for --one-shot (default 30)
  -R, --release              send DHCPRELEASE and remove the configuration
                             when stopping
  -H, --hostname NAME        host name to send (option 12)
  -V, --vendor-class TEXT    vendor class identifier to send (option 60)
      --no-default-route IFACE
                             never install a default route from IFACE;
                             repeat for several
      --foreign-default-route compete|respect
                             a default route another program installed is
                             owned by its device like any other (compete, the
                             default) or never replaced (respect)
      --runtime-dir DIR      locks and default-route candidacies
                             (default /run/ocidhcp/net-<namespace inode>)
      --log-level LEVEL      debug, info, warning or error (default info)
      --log-format FORMAT    text or json (default text)
  -h, --help                 show this help and exit
      --version              show the version and exit

Signals: SIGTERM and SIGINT stop (after releasing with --release), SIGUSR1
renews now, SIGUSR2 releases.`;

/** Parsed command-line options. */
export interface CliOptions {
  /** The interfaces to run on. */
  interfaces: string[];
  /** Exit once configured. */
  oneShot: boolean;
  /** The --one-shot time limit in seconds. */
  timeout: number;
  /** Release on stop. */
  release: boolean;
  /** Host name to send. */
  hostName?: string;
  /** Vendor class to send. */
  vendorClass?: string;
  /** Interfaces opted out of the default route. */
  noDefaultRoute: string[];
  /** The policy for foreign default routes. */
  foreign: ForeignPolicy;
  /** The runtime directory, if overridden. */
  runtimeDir?: string;
  /** The lowest log level printed. */
  logLevel: "debug" | "info" | "warning" | "error";
  /** The log line format. */
  logFormat: LogFormat;
  /** --help was given. */
  help: boolean;
  /** --version was given. */
  version: boolean;
}

/** An argument problem; the message names it, for the usage line. */
export class UsageError extends Error {
  /**
   * @param message What is wrong with the arguments.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const LEVELS = ["debug", "info", "warning", "error"] as const;
const FORMATS = ["text", "json"] as const;
const FOREIGN = ["compete", "respect"] as const;
// Linux limits interface names to 15 bytes and forbids "/" and whitespace.
const INTERFACE_NAME = /^[^\s/:]{1,15}$/;

function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(
      `${flag} must be one of ${allowed.join(", ")}, got "${value}"`,
    );
  }
  return value as T;
}

function interfaceName(flag: string, value: string): string {
  if (!INTERFACE_NAME.test(value) || value === "." || value === "..") {
    throw new UsageError(
      `${flag} must be an interface name of 1 to 15 characters without ` +
        `"/", ":" or spaces, got "${value}"`,
    );
  }
  return value;
}

/**
 * Parses the arguments of `ocidhcp`.
 *
 * @param args The arguments after the program name.
 * @returns The options.
 * @throws {UsageError} For an unknown flag, a missing or invalid value, or
 * no interface.
 */
export function parseCli(args: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        "one-shot": { type: "boolean", short: "q" },
        timeout: { type: "string", short: "t" },
        release: { type: "boolean", short: "R" },
        hostname: { type: "string", short: "H" },
        "vendor-class": { type: "string", short: "V" },
        "no-default-route": { type: "string", multiple: true },
        "foreign-default-route": { type: "string" },
        "runtime-dir": { type: "string" },
        "log-level": { type: "string" },
        "log-format": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
    });
  } catch (error) {
    // node:util words its errors for Node users; keep the part that names
    // the flag.
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.split(". ")[0] ?? message);
  }
  const { values, positionals } = parsed;
  const help = values.help ?? false;
  const version = values.version ?? false;
  const interfaces = positionals.map((name) => interfaceName("IFACE", name));
  if (!help && !version && interfaces.length === 0) {
    throw new UsageError("no interface given");
  }
  if (new Set(interfaces).size !== interfaces.length) {
    throw new UsageError("an interface is named twice");
  }
  let timeout = 30;
  if (values.timeout !== undefined) {
    timeout = Number(values.timeout);
    if (!/^\d+(\.\d+)?$/.test(values.timeout) || !(timeout > 0)) {
      throw new UsageError(
        `--timeout must be a positive number of seconds, got "${values.timeout}"`,
      );
    }
  }
  const options: CliOptions = {
    interfaces,
    oneShot: values["one-shot"] ?? false,
    timeout,
    release: values.release ?? false,
    noDefaultRoute: (values["no-default-route"] ?? []).map((name) =>
      interfaceName("--no-default-route", name)
    ),
    foreign: oneOf(
      "--foreign-default-route",
      values["foreign-default-route"],
      FOREIGN,
      "compete",
    ),
    logLevel: oneOf("--log-level", values["log-level"], LEVELS, "info"),
    logFormat: oneOf("--log-format", values["log-format"], FORMATS, "text"),
    help,
    version,
  };
  if (values.hostname !== undefined) options.hostName = values.hostname;
  if (values["vendor-class"] !== undefined) {
    options.vendorClass = values["vendor-class"];
  }
  if (values["runtime-dir"] !== undefined) {
    options.runtimeDir = values["runtime-dir"];
  }
  return options;
}
