/**
 * A network-namespace lab: one client namespace with interfaces eth0...,
 * each a veth whose peer sits in its own server namespace with a real DHCP
 * server behind it. Tests, the demo and the benchmarks run ocidhcp (or any
 * other client) in the client namespace.
 *
 * Link i uses 198.18.0.0/15 (RFC 2544, private to the lab's namespaces):
 * network 198.(18 + i / 256).(i % 256).0/24, server and router .1, pool
 * .100 to .199, and .53 offered as DNS server (distinct from the router so
 * nameserver order can be checked). Nothing answers on .53: the address is
 * only offered, because a second address on the server's interface makes
 * Kea open two raw sockets there and see every message twice.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import {
  type CommandResult,
  type CommandRunner,
  DenoCommandRunner,
  runChecked,
} from "../process/command.ts";
import {
  checkLeaseTimes,
  type ClasslessRoute,
  SERVER_KINDS,
  type ServerKind,
  serverLaunch,
  type ServerSettings,
} from "./dhcp_server.ts";
import { LabProcess } from "./lab_process.ts";
import { CLIENT_FLAGS } from "../process/client_flags.ts";
import {
  createNamespace,
  deleteNamespace,
  netnsExec,
  NetnsRunner,
  sweepStaleLabs,
} from "./netns.ts";
import {
  parseDnsmasqLeases,
  parseKeaLeases,
  parseNpmDhcpLeases,
  parseUdhcpdLeases,
  type ServerLease,
} from "./server_leases.ts";

export type { ClasslessRoute, ServerKind } from "./dhcp_server.ts";
export type { ServerLease } from "./server_leases.ts";
export { LabProcess } from "./lab_process.ts";

const logger = getLogger(["ocidhcp", "lab"]);

/** What a lab offers; every field has a default. */
export interface LabOptions {
  /**
   * The client-side interface names, or how many: n gives eth0..eth(n-1).
   *
   * @default {1}
   */
  interfaces?: number | readonly string[];
  /**
   * The DHCP server on every link.
   *
   * @default {"dnsmasq"}
   */
  server?: ServerKind;
  /**
   * The lease time in seconds; see `MIN_LEASE_TIME` for each server's
   * minimum.
   *
   * @default {3600}
   */
  leaseTime?: number;
  /**
   * Whether to offer option 3 (router .1).
   *
   * @default {true}
   */
  router?: boolean;
  /**
   * Whether to offer option 6 (DNS .53).
   *
   * @default {true}
   */
  dns?: boolean;
  /** Option 15. */
  domainName?: string;
  /** Option 119. */
  domainSearch?: readonly string[];
  /** Option 121. */
  classlessRoutes?: readonly ClasslessRoute[];
  /** Option 26, the interface MTU; none by default. */
  mtu?: number;
  /** Option 58 (T1) in seconds. */
  renewalTime?: number;
  /** Option 59 (T2) in seconds. */
  rebindingTime?: number;
}

/** Server settings {@linkcode Lab.reconfigureServer} can change. */
export interface ServerChanges {
  /** The first address of the pool. */
  poolStart?: string;
  /** The last address of the pool. */
  poolEnd?: string;
  /** The lease time in seconds. */
  leaseTime?: number;
  /** Option 58 in seconds. */
  renewalTime?: number;
  /** Option 59 in seconds. */
  rebindingTime?: number;
  /** Whether to offer the router. */
  router?: boolean;
  /** Whether to offer the DNS server. */
  dns?: boolean;
  /** Option 15. */
  domainName?: string;
  /** Option 119. */
  domainSearch?: readonly string[];
  /** Option 121. */
  classlessRoutes?: readonly ClasslessRoute[];
  /** Option 26. */
  mtu?: number;
}

/** One link of the lab, as its server sees it. */
export interface LabLink {
  /** The client-side interface name, such as "eth0". */
  readonly name: string;
  /** The namespace of this link's server. */
  readonly serverNamespace: string;
  /** The server-side interface, such as "srv0". */
  readonly serverInterface: string;
  /** The server's address, also the router. */
  readonly serverAddress: string;
  /** The link's network address. */
  readonly network: string;
  /** The link's prefix length. */
  readonly prefix: number;
  /** The first address of the pool. */
  readonly poolStart: string;
  /** The last address of the pool. */
  readonly poolEnd: string;
  /** The router offered, if any. */
  readonly router: string | undefined;
  /** The DNS server offered, if any. */
  readonly dns: string | undefined;
}

/** An address of a client interface, from `ip -j addr`. */
export interface LabAddress {
  /** The address. */
  address: string;
  /** The prefix length. */
  prefix: number;
  /** Seconds left, absent when forever. */
  validLifetime?: number;
  /** Seconds left as preferred, absent when forever. */
  preferredLifetime?: number;
}

/** A route of the client namespace's main table, from `ip -j route`. */
export interface LabRoute {
  /** "default" or a prefix such as "198.18.0.0/24". */
  destination: string;
  /** The next hop, if any. */
  gateway?: string;
  /** The interface. */
  device?: string;
  /** Such as "dhcp", "kernel" or "boot". */
  protocol?: string;
  /** The metric; 0 when `ip` prints none. */
  metric: number;
  /** The preferred source address, if any. */
  source?: string;
}

/** Which end of a link {@linkcode Lab.linkDown} acts on. */
export type LinkSide = "server" | "client";

const SERVER_INDEX_BASE = 10000;
const SUBCOMMANDS = new Set(["status", "renew", "release"]);
const MAX_LINKS = 512;
const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;
const READY_TIMEOUT_MS = 15000;

let counter = 0;
let swept = false;

interface LinkState {
  link: LabLink;
  settings: ServerSettings;
  server: LabProcess | undefined;
  // Everything the npm-dhcp server printed, across restarts.
  npmLines: string[];
}

function interfaceNames(interfaces: number | readonly string[]): string[] {
  if (typeof interfaces === "number") {
    if (
      !Number.isInteger(interfaces) || interfaces < 1 ||
      interfaces > MAX_LINKS
    ) {
      throw new RangeError(
        `Interface count must be 1 to ${MAX_LINKS}, got ${interfaces}`,
      );
    }
    return Array.from({ length: interfaces }, (_, i) => `eth${i}`);
  }
  if (interfaces.length < 1 || interfaces.length > MAX_LINKS) {
    throw new RangeError(
      `Interface count must be 1 to ${MAX_LINKS}, got ${interfaces.length}`,
    );
  }
  const seen = new Set<string>();
  for (const name of interfaces) {
    if (!INTERFACE_NAME.test(name) || name === "lo" || seen.has(name)) {
      throw new TypeError(
        `Interface names must be unique, 1 to 15 of [A-Za-z0-9_.-] and not ` +
          `"lo", got "${name}"`,
      );
    }
    seen.add(name);
  }
  return [...interfaces];
}

function linkPlan(
  id: string,
  name: string,
  i: number,
  options: LabOptions,
): LabLink {
  const base = `198.${18 + Math.floor(i / 256)}.${i % 256}`;
  return {
    name,
    serverNamespace: `${id}-s${i}`,
    serverInterface: `srv${i}`,
    serverAddress: `${base}.1`,
    network: `${base}.0`,
    prefix: 24,
    poolStart: `${base}.100`,
    poolEnd: `${base}.199`,
    router: options.router === false ? undefined : `${base}.1`,
    dns: options.dns === false ? undefined : `${base}.53`,
  };
}

function settingsFor(
  link: LabLink,
  kind: ServerKind,
  directory: string,
  options: LabOptions | ServerChanges,
): ServerSettings {
  const settings: ServerSettings = {
    kind,
    interface: link.serverInterface,
    serverAddress: link.serverAddress,
    network: link.network,
    prefix: link.prefix,
    poolStart: link.poolStart,
    poolEnd: link.poolEnd,
    leaseTime: options.leaseTime ?? 3600,
    directory,
  };
  if (link.router !== undefined) settings.router = link.router;
  if (link.dns !== undefined) settings.dns = link.dns;
  if (options.renewalTime !== undefined) {
    settings.renewalTime = options.renewalTime;
  }
  if (options.rebindingTime !== undefined) {
    settings.rebindingTime = options.rebindingTime;
  }
  if (options.domainName !== undefined) {
    settings.domainName = options.domainName;
  }
  if (options.domainSearch !== undefined) {
    settings.domainSearch = options.domainSearch;
  }
  if (options.classlessRoutes !== undefined) {
    settings.classlessRoutes = options.classlessRoutes;
  }
  if (options.mtu !== undefined) settings.mtu = options.mtu;
  return settings;
}

function repoFile(path: string): string {
  return decodeURIComponent(new URL(`../../${path}`, import.meta.url).pathname);
}

/**
 * A lab of network namespaces with DHCP servers, for tests, the demo and
 * benchmarks. Needs root and iproute2.
 *
 * Use it with `await using lab = await Lab.create(...)` so everything is
 * torn down even when a test fails. The lab installs no signal handler (a
 * test runner owns SIGINT); if the process is killed instead, the next
 * {@linkcode Lab.create} in any process removes the debris, because lab
 * namespace names carry the owning pid (see `sweepStaleLabs`).
 *
 * @example Get a lease with udhcpc
 * ```ts ignore
 * import { Lab } from "./lab.ts";
 * await using lab = await Lab.create({ server: "kea" });
 * const result = await lab.run(["udhcpc", "-f", "-q", "-n", "-i", "eth0",
 *   "-s", "/bin/true"]);
 * console.log(await lab.serverLeases(0));
 * ```
 */
export class Lab implements AsyncDisposable {
  /** The lab's id, `ocidhcp-<pid>-<n>`; every namespace name starts so. */
  readonly id: string;
  /** The namespace the clients run in. */
  readonly clientNamespace: string;
  /** A runner for the client namespace. */
  readonly runner: CommandRunner;
  /** The server kind on every link. */
  readonly server: ServerKind;
  #host = new DenoCommandRunner();
  #states: LinkState[] = [];
  #namespaces: string[] = [];
  #clients = new Set<LabProcess>();
  #directory: string | undefined;

  get #netnsEtc(): string {
    return `/etc/netns/${this.clientNamespace}`;
  }
  #closing: Promise<void> | undefined;

  private constructor(id: string, server: ServerKind) {
    this.id = id;
    this.clientNamespace = `${id}-c`;
    this.runner = new NetnsRunner(this.clientNamespace, this.#host);
    this.server = server;
  }

  /**
   * Builds a lab and waits until every server is ready. On failure it
   * removes whatever it had built before rethrowing.
   *
   * @param options The interfaces, the server and what it offers.
   * @returns The running lab.
   * @throws {RangeError} If the lease times do not suit the server or the
   * interface count is out of range.
   * @throws {TypeError} If an interface name or the server kind is invalid.
   * @throws {CommandFailedError} If `ip` fails.
   * @throws {LabProcessError} If a server exits or is not ready in time.
   */
  static async create(options: LabOptions = {}): Promise<Lab> {
    const kind = options.server ?? "dnsmasq";
    if (!SERVER_KINDS.includes(kind)) {
      throw new TypeError(
        `Server must be one of ${SERVER_KINDS.join(", ")}, got "${kind}"`,
      );
    }
    const names = interfaceNames(options.interfaces ?? 1);
    checkLeaseTimes(kind, { ...options, leaseTime: options.leaseTime ?? 3600 });
    if (!swept) {
      swept = true;
      const removed = await sweepStaleLabs();
      if (removed.length > 0) {
        logger.info("removed stale lab namespaces {namespaces}", {
          namespaces: removed,
        });
      }
    }
    counter += 1;
    const lab = new Lab(`ocidhcp-${Deno.pid}-${counter}`, kind);
    try {
      await lab.#build(names, options);
    } catch (error) {
      await lab.close().catch((cleanup) => {
        logger.error(
          "lab {id}: cleanup after failed creation failed: " +
            "{error}",
          { id: lab.id, error: String(cleanup) },
        );
      });
      throw error;
    }
    return lab;
  }

  async #build(names: string[], options: LabOptions): Promise<void> {
    this.#directory = await Deno.makeTempDir({ prefix: `${this.id}-` });
    this.#namespaces.push(this.clientNamespace);
    await createNamespace(this.clientNamespace, { runner: this.#host });
    // `ip netns exec` bind-mounts /etc/netns/<namespace>/resolv.conf over
    // /etc/resolv.conf, so clients in the lab write their own file (a mount
    // point, as in a container) and never the host's.
    await Deno.mkdir(this.#netnsEtc, { recursive: true });
    await Deno.writeTextFile(`${this.#netnsEtc}/resolv.conf`, "");
    for (const [i, name] of names.entries()) {
      const link = linkPlan(this.id, name, i, options);
      const directory = `${this.#directory}/link${i}`;
      this.#states.push({
        link,
        settings: settingsFor(link, this.server, directory, options),
        server: undefined,
        npmLines: [],
      });
    }
    await Promise.all(this.#states.map((_, i) => this.#buildLink(i)));
    logger.debug("lab {id}: {count} links ready with {server}", {
      id: this.id,
      count: this.#states.length,
      server: this.server,
    });
  }

  async #buildLink(i: number): Promise<void> {
    const { link, settings } = this.#state(i);
    const ns = link.serverNamespace;
    const ip = (...args: string[]) => runChecked(this.#host, ["ip", ...args]);
    await Deno.mkdir(settings.directory, { recursive: true });
    this.#namespaces.push(ns);
    await createNamespace(ns, { runner: this.#host });
    // Created in the server namespace with a high ifindex: when a veth's
    // ifindex equals its peer's iflink, the kernel can report it UP up to a
    // second late.
    await ip(
      "-n",
      ns,
      "link",
      "add",
      link.serverInterface,
      "index",
      String(SERVER_INDEX_BASE + i),
      "type",
      "veth",
      "peer",
      "name",
      link.name,
      "netns",
      this.clientNamespace,
    );
    const dev = link.serverInterface;
    await ip("-n", ns, "addr", "add", `${link.serverAddress}/24`, "dev", dev);
    await ip("-n", ns, "link", "set", dev, "up");
    await ip("-n", this.clientNamespace, "link", "set", link.name, "up");
    await this.startServer(i);
  }

  #state(i: number): LinkState {
    const state = this.#states[i];
    if (state === undefined) {
      throw new RangeError(
        `Link index must be 0 to ${this.#states.length - 1}, got ${i}`,
      );
    }
    return state;
  }

  /** The links, in interface order. */
  get links(): readonly LabLink[] {
    return this.#states.map((state) => state.link);
  }

  /**
   * Runs a command in the client namespace.
   *
   * @param argv The program and its arguments.
   * @returns Its exit code and output.
   * @throws {CommandNotFoundError} If `ip` is missing.
   */
  run(argv: readonly string[]): Promise<CommandResult> {
    return this.runner.run(argv);
  }

  /**
   * Starts a program in the client namespace; {@linkcode Lab.close} stops
   * it before the servers.
   *
   * @param argv The program and its arguments.
   * @param options Extra environment variables.
   * @returns The running process.
   */
  spawn(
    argv: readonly string[],
    options: { env?: Record<string, string> } = {},
  ): LabProcess {
    const process = LabProcess.spawn(netnsExec(this.clientNamespace, argv), {
      ...(options.env === undefined ? {} : { env: options.env }),
      label: argv[0] ?? "process",
    });
    this.#clients.add(process);
    return process;
  }

  /**
   * Starts ocidhcp in the client namespace: `$OCIDHCP_BIN` when that is
   * set (a compiled build), else `$OCIDHCP_BUNDLE` (the bundle of
   * `deno task bundle`) or `cli/main.ts` under `deno run` with the "client"
   * permission set.
   *
   * @param args The arguments for ocidhcp.
   * @param options Extra environment variables, and programs besides `ip`
   * the client may run (hook scripts) under `deno run`.
   * @returns The running client.
   */
  spawnClient(
    args: readonly string[],
    options: {
      env?: Record<string, string>;
      allowRun?: readonly string[];
    } = {},
  ): LabProcess {
    const binary = Deno.env.get("OCIDHCP_BIN");
    // An explicit --allow-run replaces the permission set's list, so "ip"
    // is repeated; a compiled executable has its permissions built in.
    const allowRun = options.allowRun === undefined
      ? []
      : [`--allow-run=${["ip", ...options.allowRun].join(",")}`];
    // Lease records stay in the lab: clients of other labs use the same
    // interface names.
    const state = args.includes("--state-dir") || SUBCOMMANDS.has(args[0] ?? "")
      ? []
      : ["--state-dir", `${this.#directory}/state`];
    const argv = binary ? [binary, ...args, ...state] : [
      Deno.execPath(),
      "run",
      ...CLIENT_FLAGS,
      ...allowRun,
      "--config",
      repoFile("deno.json"),
      Deno.env.get("OCIDHCP_BUNDLE") ?? repoFile("cli/main.ts"),
      ...args,
      ...state,
    ];
    return this.spawn(argv, options.env ? { env: options.env } : {});
  }

  /**
   * Starts link i's server, with the lease store it had before, and waits
   * until it listens on port 67. Does nothing if it runs.
   *
   * @param i The link index.
   * @returns When the server is ready.
   * @throws {LabProcessError} If it exits or is not ready in time.
   */
  async startServer(i: number): Promise<void> {
    const state = this.#state(i);
    if (state.server !== undefined && !state.server.exited) return;
    const settings = { ...state.settings };
    if (settings.kind === "npm-dhcp") {
      settings.leases = parseNpmDhcpLeases(state.npmLines);
    }
    const launch = serverLaunch(settings);
    for (const file of launch.files) {
      await Deno.writeTextFile(file.path, file.content);
    }
    const ns = state.link.serverNamespace;
    const server = LabProcess.spawn(netnsExec(ns, launch.argv), {
      env: launch.env,
      label: `${settings.kind} on link ${i}`,
    });
    state.server = server;
    if (settings.kind === "npm-dhcp") {
      await server.waitFor(/"event":"ready"/, READY_TIMEOUT_MS);
    } else {
      await this.#waitListening(ns, server);
    }
    logger.debug("{interface}: {server} ready in {namespace}", {
      interface: state.link.name,
      server: settings.kind,
      namespace: ns,
    });
  }

  async #waitListening(ns: string, server: LabProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const argv = netnsExec(ns, ["ss", "-Hlun", "sport", "=", ":67"]);
    while (Date.now() < deadline) {
      if (server.exited) break;
      const result = await this.#host.run(argv);
      if (result.code === 0 && result.stdout.trim() !== "") return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Rejects with the server's output, whether it exited or hung.
    await server.waitFor(/(?!)/, 0);
  }

  /**
   * Returns what link i's running server has written, for diagnostics.
   *
   * @param i The link index.
   * @returns Its output, or "" when it is stopped.
   */
  serverOutput(i: number): string {
    return this.#state(i).server?.output() ?? "";
  }

  /**
   * Stops link i's server (SIGTERM, then SIGKILL); its leases stay on disk.
   *
   * @param i The link index.
   * @returns When it has exited.
   */
  async stopServer(i: number): Promise<void> {
    const state = this.#state(i);
    const server = state.server;
    if (server === undefined) return;
    await server.stop();
    if (state.settings.kind === "npm-dhcp") {
      state.npmLines.push(...server.lines("stdout").map((line) => line.text));
    }
    state.server = undefined;
  }

  /**
   * Restarts link i's server with changed settings, keeping its leases.
   *
   * With a pool that excludes a client's address, dnsmasq and udhcpd NAK
   * the client's REQUEST for it (tested with dhclient's INIT-REBOOT).
   * Limitations: Kea 2.2 stays silent to that INIT-REBOOT REQUEST instead,
   * and the npm-dhcp server never NAKs; both hand out a new address once
   * the client falls back to DISCOVER.
   *
   * @param i The link index.
   * @param changes The settings to change.
   * @returns When the server is ready again.
   * @throws {RangeError} If the new times do not suit the server.
   */
  async reconfigureServer(i: number, changes: ServerChanges): Promise<void> {
    const state = this.#state(i);
    const old = state.link;
    const link: LabLink = {
      ...old,
      poolStart: changes.poolStart ?? old.poolStart,
      poolEnd: changes.poolEnd ?? old.poolEnd,
      router: changes.router === undefined
        ? old.router
        : changes.router
        ? old.serverAddress
        : undefined,
      dns: changes.dns === undefined
        ? old.dns
        : changes.dns
        ? `${old.network.replace(/\.0$/, "")}.53`
        : undefined,
    };
    const previous = state.settings;
    const merged: ServerChanges = {
      leaseTime: changes.leaseTime ?? previous.leaseTime,
    };
    const renewal = changes.renewalTime ?? previous.renewalTime;
    if (renewal !== undefined) merged.renewalTime = renewal;
    const rebinding = changes.rebindingTime ?? previous.rebindingTime;
    if (rebinding !== undefined) merged.rebindingTime = rebinding;
    const domainName = changes.domainName ?? previous.domainName;
    if (domainName !== undefined) merged.domainName = domainName;
    const search = changes.domainSearch ?? previous.domainSearch;
    if (search !== undefined) merged.domainSearch = search;
    const routes = changes.classlessRoutes ?? previous.classlessRoutes;
    if (routes !== undefined) merged.classlessRoutes = routes;
    const mtu = changes.mtu ?? previous.mtu;
    if (mtu !== undefined) merged.mtu = mtu;
    const settings = settingsFor(link, this.server, previous.directory, merged);
    // Fail before stopping the running server.
    serverLaunch(settings);
    await this.stopServer(i);
    state.link = link;
    state.settings = settings;
    await this.startServer(i);
  }

  /**
   * Reads the leases link i's server has recorded.
   *
   * @param i The link index.
   * @returns The leases, one per client.
   */
  async serverLeases(i: number): Promise<ServerLease[]> {
    const state = this.#state(i);
    const { kind } = state.settings;
    if (kind === "npm-dhcp") {
      const current = state.server?.lines("stdout") ?? [];
      return parseNpmDhcpLeases([
        ...state.npmLines,
        ...current.map((line) => line.text),
      ]);
    }
    const file = serverLaunch(state.settings).leaseFile;
    if (kind === "udhcpd") {
      await this.#flushUdhcpd(state.server, file);
      const bytes = await Deno.readFile(file).catch(() => undefined);
      return bytes === undefined ? [] : parseUdhcpdLeases(bytes);
    }
    const text = await Deno.readTextFile(file).catch(() => "");
    return kind === "kea" ? parseKeaLeases(text) : parseDnsmasqLeases(text);
  }

  async #flushUdhcpd(
    server: LabProcess | undefined,
    file: string,
  ): Promise<void> {
    // udhcpd writes its lease file on SIGUSR1 (and on exit), not per lease,
    // truncating it first: wait for a change, then for the size to settle.
    if (server === undefined || server.exited) return;
    const look = async () => {
      const info = await Deno.stat(file).catch(() => undefined);
      return `${info?.mtime?.getTime()}/${info?.size}`;
    };
    const sleep = () => new Promise((resolve) => setTimeout(resolve, 5));
    const before = await look();
    server.signal("SIGUSR1");
    const deadline = Date.now() + 1000;
    let current = await look();
    while (Date.now() < deadline && current === before) {
      await sleep();
      current = await look();
    }
    for (let previous = ""; previous !== current && Date.now() < deadline;) {
      previous = current;
      await sleep();
      current = await look();
    }
  }

  /**
   * Takes link i down, which the client sees as lost carrier when done on
   * the server side (the default) or as an administratively down interface
   * on the client side.
   *
   * @param i The link index.
   * @param side Which end to take down.
   * @returns When `ip` has done it.
   */
  async linkDown(i: number, side: LinkSide = "server"): Promise<void> {
    await this.#setLink(i, side, "down");
  }

  /**
   * Brings link i back up.
   *
   * @param i The link index.
   * @param side Which end to bring up.
   * @returns When `ip` has done it.
   */
  async linkUp(i: number, side: LinkSide = "server"): Promise<void> {
    await this.#setLink(i, side, "up");
  }

  async #setLink(i: number, side: LinkSide, state: string): Promise<void> {
    const { link } = this.#state(i);
    const [ns, dev] = side === "server"
      ? [link.serverNamespace, link.serverInterface]
      : [this.clientNamespace, link.name];
    await runChecked(this.#host, ["ip", "-n", ns, "link", "set", dev, state]);
  }

  /**
   * Lists the IPv4 addresses of a client interface.
   *
   * @param name The interface, such as "eth0".
   * @returns The addresses with their lifetimes.
   * @throws {CommandFailedError} If the interface does not exist.
   */
  async addresses(name: string): Promise<LabAddress[]> {
    const text = await runChecked(this.runner, [
      "ip",
      "-j",
      "-4",
      "addr",
      "show",
      "dev",
      name,
    ]);
    const links = JSON.parse(text) as {
      addr_info?: {
        local?: string;
        prefixlen?: number;
        valid_life_time?: number;
        preferred_life_time?: number;
      }[];
    }[];
    const forever = 4294967295;
    const result: LabAddress[] = [];
    for (const info of links.flatMap((link) => link.addr_info ?? [])) {
      if (info.local === undefined || info.prefixlen === undefined) continue;
      const address: LabAddress = {
        address: info.local,
        prefix: info.prefixlen,
      };
      const valid = info.valid_life_time;
      if (valid !== undefined && valid !== forever) {
        address.validLifetime = valid;
      }
      const preferred = info.preferred_life_time;
      if (preferred !== undefined && preferred !== forever) {
        address.preferredLifetime = preferred;
      }
      result.push(address);
    }
    return result;
  }

  /**
   * Lists the IPv4 routes of the client namespace's main table.
   *
   * @returns The routes.
   * @throws {CommandFailedError} If `ip` fails.
   */
  async routes(): Promise<LabRoute[]> {
    const text = await runChecked(this.runner, [
      "ip",
      "-j",
      "-4",
      "route",
      "show",
      "table",
      "main",
    ]);
    const routes = JSON.parse(text) as {
      dst?: string;
      gateway?: string;
      dev?: string;
      protocol?: string;
      metric?: number;
      prefsrc?: string;
    }[];
    return routes.map((raw) => {
      const route: LabRoute = {
        destination: raw.dst ?? "",
        metric: raw.metric ?? 0,
      };
      if (raw.gateway !== undefined) route.gateway = raw.gateway;
      if (raw.dev !== undefined) route.device = raw.dev;
      if (raw.protocol !== undefined) route.protocol = raw.protocol;
      if (raw.prefsrc !== undefined) route.source = raw.prefsrc;
      return route;
    });
  }

  /**
   * Tears the lab down: stops the clients, then the servers (SIGTERM, then
   * SIGKILL), deletes every namespace and the temporary directory. Safe to
   * call more than once and after a failed creation.
   *
   * @returns When everything is gone.
   * @throws {Error} The first failure, after trying every step.
   */
  close(): Promise<void> {
    this.#closing ??= this.#teardown();
    return this.#closing;
  }

  /** {@inheritDoc Lab.close} */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #teardown(): Promise<void> {
    const failures: unknown[] = [];
    const settle = async (work: Promise<unknown>[]) => {
      for (const result of await Promise.allSettled(work)) {
        if (result.status === "rejected") failures.push(result.reason);
      }
    };
    await settle([...this.#clients].map((client) => client.stop(2000)));
    await settle(
      this.#states.map((state) =>
        state.server?.stop(2000) ?? Promise.resolve()
      ),
    );
    await settle(
      this.#namespaces.map((ns) => deleteNamespace(ns, { runner: this.#host })),
    );
    if (this.#directory !== undefined) {
      await settle([Deno.remove(this.#directory, { recursive: true })]);
    }
    await Deno.remove(this.#netnsEtc, { recursive: true }).catch(() => {});
    logger.debug("lab {id}: closed", { id: this.id });
    if (failures.length > 0) throw failures[0];
  }
}
