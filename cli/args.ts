/**
 * Command-line parsing for `ocidhcp`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { LogFormat } from "./logging.ts";
import type { ForeignPolicy } from "../lib/route/default_route_policy.ts";
import { domainNameProblem } from "../lib/dns/domain_name.ts";
import { errorText } from "../lib/log/error_text.ts";

/** The program's name as users type it. */
export const PROGRAM = "ocidhcp";

/** The one-line usage printed with every argument error. */
export const USAGE = `usage: ${PROGRAM} [options] [IFACE...]`;

/** The full help text, printed by --help. */
export const HELP = `${USAGE}
       ${PROGRAM} status [--json] [IFACE...]
       ${PROGRAM} renew IFACE...
       ${PROGRAM} release IFACE...

DHCPv4 client for containers. Acquires, applies, renews and releases a lease
on each IFACE (every Ethernet-like interface that can broadcast when none
is named) and keeps exactly one default route: the one of the interface
whose name sorts first in byte order among those whose lease has a router.

Options:
  -q, --one-shot             exit 0 once every IFACE is configured, leaving
                             the configuration in place; exit 1 when that
                             takes longer than --timeout or SIGTERM or
                             SIGINT comes first
  -t, --timeout SECONDS      time limit for --one-shot (default 30)
      --tries N              DHCPDISCOVERs before an attempt counts as
                             failed: the leasefail hook and event, then a
                             new attempt after a pause (--one-shot exits 1
                             instead); default 0, never fail
      --retransmit-max SECONDS
                             longest wait between DHCPDISCOVERs, which
                             double from 4 s (default 64, as RFC 2131 says)
  -R, --release              send DHCPRELEASE and remove the configuration
                             when stopping
  -H, --hostname NAME        host name to send (option 12); default the
                             system's, "" sends none
  -F, --fqdn NAME            fully qualified name to send (option 81), asking
                             the server to update DNS
  -c, --client-id HEX        client identifier (option 61) as hex bytes,
                             such as 01:02:42:ac:11:00:02 (default: 01 and
                             the interface's MAC)
  -V, --vendor-class TEXT    vendor class identifier to send (option 60)
  -O, --request-option CODE  also ask for option CODE (1-254); repeatable
      --no-default-route IFACE
                             never install a default route from IFACE;
                             repeat for several
      --foreign-default-route compete|respect
                             a default route another program installed is
                             owned by its device like any other (compete, the
                             default) or never replaced (respect)
  -s, --script PATH          hook script run on lease events with udhcpc's
                             arguments and environment
      --script-timeout SECONDS
                             kill a hook still running after this long
                             (default 10)
      --resolv-conf PATH     the resolv.conf to maintain from the leases
                             (default /etc/resolv.conf); "none" leaves DNS
                             alone
      --events               print lease events as JSON lines on stdout
      --ready-file PATH      create PATH once every IFACE is configured
      --dry-run              acquire leases but change nothing: print the
                             ip commands and file writes instead
      --state-dir DIR        lease records for INIT-REBOOT after a restart
                             (default /var/lib/ocidhcp); "none" keeps none
      --runtime-dir DIR      locks, status and default-route candidacies
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
  /** DHCPDISCOVERs per attempt; 0 for no limit. */
  tries: number;
  /** The longest wait between DHCPDISCOVERs, in seconds. */
  retransmitMax: number;
  /** Release on stop. */
  release: boolean;
  /** Host name to send. */
  hostName?: string;
  /** Vendor class to send. */
  vendorClass?: string;
  /** FQDN to send. */
  fqdn?: string;
  /** Client identifier bytes. */
  clientId?: Uint8Array;
  /** Extra option codes to request. */
  requestOptions: number[];
  /** The hook script, if any. */
  script?: string;
  /** Seconds a hook may run. */
  scriptTimeout: number;
  /** The resolv.conf to maintain, or undefined for none. */
  resolvConf: string | undefined;
  /** Print events as JSON lines. */
  events: boolean;
  /** File to create once configured. */
  readyFile?: string;
  /** Change nothing, print instead. */
  dryRun: boolean;
  /** Interfaces opted out of the default route. */
  noDefaultRoute: string[];
  /** The policy for foreign default routes. */
  foreign: ForeignPolicy;
  /** The lease record directory, or undefined for none. */
  stateDir: string | undefined;
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

function seconds(
  flag: string,
  text: string | undefined,
  fallback: number,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(value > 0)) {
    throw new UsageError(
      `${flag} must be a positive number of seconds, got "${text}"`,
    );
  }
  return value;
}

function count(
  flag: string,
  text: string | undefined,
  fallback: number,
): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,6}$/.test(text)) {
    throw new UsageError(`${flag} must be a whole number, got "${text}"`);
  }
  return Number(text);
}

function optionCode(text: string): number {
  const code = Number(text);
  if (!/^\d{1,3}$/.test(text) || code < 1 || code > 254) {
    throw new UsageError(
      `--request-option must be an option code from 1 to 254, got "${text}"`,
    );
  }
  return code;
}

function hexBytes(flag: string, text: string): Uint8Array {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2})*$/i.test(text)) {
    throw new UsageError(
      `${flag} must be hex bytes separated by colons, got "${text}"`,
    );
  }
  const bytes = text.split(":").map((pair) => parseInt(pair, 16));
  if (bytes.length < 2) {
    throw new UsageError(`${flag} needs at least 2 bytes (RFC 2132 9.14)`);
  }
  return new Uint8Array(bytes);
}

/**
 * Parses the arguments of `ocidhcp`.
 *
 * @param args The arguments after the program name.
 * @returns The options.
 * @throws {UsageError} For an unknown flag or a missing or invalid value.
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
        tries: { type: "string" },
        "retransmit-max": { type: "string" },
        release: { type: "boolean", short: "R" },
        hostname: { type: "string", short: "H" },
        "vendor-class": { type: "string", short: "V" },
        fqdn: { type: "string", short: "F" },
        "client-id": { type: "string", short: "c" },
        "request-option": { type: "string", short: "O", multiple: true },
        "resolv-conf": { type: "string" },
        script: { type: "string", short: "s" },
        "script-timeout": { type: "string" },
        events: { type: "boolean" },
        "ready-file": { type: "string" },
        "dry-run": { type: "boolean" },
        "no-default-route": { type: "string", multiple: true },
        "foreign-default-route": { type: "string" },
        "runtime-dir": { type: "string" },
        "state-dir": { type: "string" },
        "log-level": { type: "string" },
        "log-format": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
    });
  } catch (error) {
    // node:util words its errors for Node users; keep the part that names
    // the flag.
    const message = errorText(error);
    throw new UsageError(message.split(". ")[0] ?? message);
  }
  const { values, positionals } = parsed;
  const help = values.help ?? false;
  const version = values.version ?? false;
  const interfaces = positionals.map((name) => interfaceName("IFACE", name));
  if (new Set(interfaces).size !== interfaces.length) {
    throw new UsageError("an interface is named twice");
  }
  const timeout = seconds("--timeout", values.timeout, 30);
  const options: CliOptions = {
    interfaces,
    oneShot: values["one-shot"] ?? false,
    timeout,
    tries: count("--tries", values.tries, 0),
    retransmitMax: seconds("--retransmit-max", values["retransmit-max"], 64),
    scriptTimeout: seconds("--script-timeout", values["script-timeout"], 10),
    release: values.release ?? false,
    requestOptions: (values["request-option"] ?? []).map(optionCode),
    resolvConf: values["resolv-conf"] === "none"
      ? undefined
      : values["resolv-conf"] ?? "/etc/resolv.conf",
    stateDir: values["state-dir"] === "none"
      ? undefined
      : values["state-dir"] ?? "/var/lib/ocidhcp",
    events: values.events ?? false,
    dryRun: values["dry-run"] ?? false,
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
  // Jitter moves each wait by up to a second either way (RFC 2131 4.1).
  if (!Number.isInteger(options.retransmitMax) || options.retransmitMax < 2) {
    throw new UsageError(
      `--retransmit-max must be a whole number of seconds of at least 2, ` +
        `got "${values["retransmit-max"]}"`,
    );
  }
  if (values.hostname !== undefined) {
    const problem = values.hostname === ""
      ? undefined
      : domainNameProblem(values.hostname);
    if (problem !== undefined) {
      throw new UsageError(`--hostname must be a host name: ${problem}`);
    }
    options.hostName = values.hostname;
  }
  if (values["vendor-class"] !== undefined) {
    options.vendorClass = values["vendor-class"];
  }
  if (values.fqdn !== undefined) {
    const problem = domainNameProblem(values.fqdn);
    if (problem !== undefined) {
      throw new UsageError(`--fqdn must be a domain name: ${problem}`);
    }
    options.fqdn = values.fqdn;
  }
  if (values["client-id"] !== undefined) {
    options.clientId = hexBytes("--client-id", values["client-id"]);
  }
  if (values.script !== undefined) options.script = values.script;
  if (values["ready-file"] !== undefined) {
    options.readyFile = values["ready-file"];
  }
  if (values["runtime-dir"] !== undefined) {
    options.runtimeDir = values["runtime-dir"];
  }
  return options;
}
