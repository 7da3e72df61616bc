/**
 * How the lab starts each kind of DHCP server: the command line and the
 * configuration files for one link, generated from the same settings so
 * every server offers the same lease.
 *
 * @module
 */

import { formatIpv4, parseIpv4, prefixToMask } from "../net/ipv4.ts";

/** The DHCP servers the lab can run. */
export type ServerKind = "dnsmasq" | "kea" | "udhcpd" | "npm-dhcp";

/** Every server kind, in a stable order. */
export const SERVER_KINDS: readonly ServerKind[] = [
  "dnsmasq",
  "kea",
  "udhcpd",
  "npm-dhcp",
];

/**
 * The shortest lease, in seconds, each server really hands out. dnsmasq
 * raises anything shorter to 120 s (measured with dnsmasq 2.90). udhcpd
 * offers down to its `min_lease`, which the lab sets to the lease time; Kea
 * gets matching `min-valid-lifetime`; the npm package takes any value.
 */
export const MIN_LEASE_TIME: Readonly<Record<ServerKind, number>> = {
  dnsmasq: 120,
  kea: 1,
  udhcpd: 1,
  "npm-dhcp": 1,
};

/** A route for option 121 (RFC 3442). */
export interface ClasslessRoute {
  /** The destination network, such as "10.0.0.0". */
  destination: string;
  /** The destination prefix length, 0 to 32. */
  prefix: number;
  /** The next hop. */
  gateway: string;
}

/** What one server on one link offers, and where it keeps its state. */
export interface ServerSettings {
  /** Which server to run. */
  kind: ServerKind;
  /** The server-side interface, such as "srv0". */
  interface: string;
  /** The server's address on the link. */
  serverAddress: string;
  /** The link's network address. */
  network: string;
  /** The link's prefix length. */
  prefix: number;
  /** The first address of the pool. */
  poolStart: string;
  /** The last address of the pool. */
  poolEnd: string;
  /** Option 3, or none. */
  router?: string;
  /** Option 6, or none. */
  dns?: string;
  /** The lease time in seconds. */
  leaseTime: number;
  /** Option 58 (T1) in seconds, or the server's default. */
  renewalTime?: number;
  /** Option 59 (T2) in seconds, or the server's default. */
  rebindingTime?: number;
  /** Option 15. */
  domainName?: string;
  /** Option 119. */
  domainSearch?: readonly string[];
  /** Option 121. */
  classlessRoutes?: readonly ClasslessRoute[];
  /** Option 26. */
  mtu?: number;
  /** A directory only this server uses, for its lease file and logs. */
  directory: string;
  /** Leases from an earlier run, for a server that keeps none on disk. */
  leases?: readonly { hardwareAddress: string; address: string }[];
}

/** How to start a server. */
export interface ServerLaunch {
  /** The program and its arguments. */
  argv: string[];
  /** Environment variables to add. */
  env: Record<string, string>;
  /** Files to write before starting it. */
  files: { path: string; content: string }[];
  /** Where the server keeps its leases (the npm server keeps none). */
  leaseFile: string;
}

/**
 * Checks lease, T1 and T2 against each other and against what the server
 * can do.
 *
 * @param kind The server.
 * @param times The lease time and optional T1 and T2, in seconds.
 * @throws {RangeError} If a time is not a whole number of seconds, the
 * lease is shorter than the server allows, or T1 < T2 < lease is broken.
 */
export function checkLeaseTimes(
  kind: ServerKind,
  times: { leaseTime: number; renewalTime?: number; rebindingTime?: number },
): void {
  const { leaseTime, renewalTime, rebindingTime } = times;
  const named = { leaseTime, renewalTime, rebindingTime };
  for (const [name, value] of Object.entries(named)) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
      throw new RangeError(
        `${name} must be a positive whole number of seconds, got ${value}`,
      );
    }
  }
  const minimum = MIN_LEASE_TIME[kind];
  if (leaseTime < minimum) {
    throw new RangeError(
      `Lease time must be at least ${minimum} seconds for ${kind}, ` +
        `got ${leaseTime}`,
    );
  }
  const t2 = rebindingTime ?? leaseTime;
  if (t2 > leaseTime || (renewalTime ?? 0) > t2) {
    throw new RangeError(
      `Times must satisfy renewal <= rebinding <= lease, got ` +
        `${renewalTime} <= ${rebindingTime} <= ${leaseTime}`,
    );
  }
}

/**
 * Encodes domain names for option 119 as uncompressed RFC 1035 names.
 *
 * @param names The domains, such as ["example.com"].
 * @returns The option payload.
 * @throws {RangeError} If a label is empty or longer than 63 bytes.
 */
export function encodeDomainSearch(names: readonly string[]): Uint8Array {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (const name of names) {
    for (const label of name.replace(/\.$/, "").split(".")) {
      const encoded = encoder.encode(label);
      if (encoded.length < 1 || encoded.length > 63) {
        throw new RangeError(
          `Domain labels must be 1 to 63 bytes, got "${label}" in "${name}"`,
        );
      }
      bytes.push(encoded.length, ...encoded);
    }
    bytes.push(0);
  }
  return new Uint8Array(bytes);
}

/**
 * Encodes routes for option 121: prefix length, the significant octets of
 * the destination, then the gateway (RFC 3442 section 3).
 *
 * @param routes The routes.
 * @returns The option payload.
 * @throws {RangeError} If a prefix is not 0 to 32.
 * @throws {TypeError} If an address is not valid IPv4.
 */
export function encodeClasslessRoutes(
  routes: readonly ClasslessRoute[],
): Uint8Array {
  const bytes: number[] = [];
  for (const route of routes) {
    if (
      !Number.isInteger(route.prefix) || route.prefix < 0 || route.prefix > 32
    ) {
      throw new RangeError(
        `Route prefix must be 0 to 32, got ${route.prefix}`,
      );
    }
    const destination = parseIpv4(route.destination);
    const significant = Math.ceil(route.prefix / 8);
    bytes.push(route.prefix);
    for (let i = 0; i < significant; i++) {
      bytes.push((destination >>> (24 - 8 * i)) & 0xff);
    }
    const gateway = parseIpv4(route.gateway);
    for (let i = 0; i < 4; i++) bytes.push((gateway >>> (24 - 8 * i)) & 0xff);
  }
  return new Uint8Array(bytes);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function defaultTimes(settings: ServerSettings): [number, number] {
  // RFC 2131 section 4.4.5: T1 defaults to half the lease, T2 to 7/8;
  // never 0, which would ask for a renewal at once.
  const t1 = settings.renewalTime ??
    Math.max(1, Math.floor(settings.leaseTime / 2));
  const t2 = settings.rebindingTime ??
    Math.max(t1, Math.floor(settings.leaseTime * 7 / 8));
  return [t1, t2];
}

function dnsmasq(settings: ServerSettings): ServerLaunch {
  const dir = settings.directory;
  const mask = formatIpv4(prefixToMask(settings.prefix));
  const leaseFile = `${dir}/dnsmasq.leases`;
  const argv = [
    "dnsmasq",
    "--keep-in-foreground",
    "--conf-file=/dev/null",
    // The ping before an offer would delay every lease by about 3 s.
    "--no-ping",
    "--port=0",
    "--no-hosts",
    // Running as "nobody" it could not write into the lab's directory.
    "--user=root",
    `--interface=${settings.interface}`,
    `--pid-file=${dir}/dnsmasq.pid`,
    `--dhcp-leasefile=${leaseFile}`,
    "--dhcp-authoritative",
    "--log-dhcp",
    "--log-facility=-",
    `--dhcp-range=${settings.poolStart},${settings.poolEnd},${mask},` +
    `${settings.leaseTime}`,
    // An option with no value stops dnsmasq from sending its default.
    `--dhcp-option=option:router` +
    (settings.router === undefined ? "" : `,${settings.router}`),
    `--dhcp-option=option:dns-server` +
    (settings.dns === undefined ? "" : `,${settings.dns}`),
  ];
  if (settings.renewalTime !== undefined) {
    argv.push(`--dhcp-option=option:T1,${settings.renewalTime}`);
  }
  if (settings.rebindingTime !== undefined) {
    argv.push(`--dhcp-option=option:T2,${settings.rebindingTime}`);
  }
  if (settings.domainName !== undefined) {
    argv.push(`--dhcp-option=option:domain-name,${settings.domainName}`);
  }
  if (settings.domainSearch !== undefined) {
    argv.push(
      `--dhcp-option=option:domain-search,${settings.domainSearch.join(",")}`,
    );
  }
  if (settings.classlessRoutes !== undefined) {
    const routes = settings.classlessRoutes.map((route) =>
      `${route.destination}/${route.prefix},${route.gateway}`
    );
    argv.push(
      `--dhcp-option=option:classless-static-route,${routes.join(",")}`,
    );
  }
  if (settings.mtu !== undefined) {
    argv.push(`--dhcp-option=option:mtu,${settings.mtu}`);
  }
  return { argv, env: {}, files: [], leaseFile };
}

function kea(settings: ServerSettings): ServerLaunch {
  const dir = settings.directory;
  const leaseFile = `${dir}/kea-leases4.csv`;
  const [t1, t2] = defaultTimes(settings);
  const options: Record<string, unknown>[] = [];
  if (settings.router !== undefined) {
    options.push({ name: "routers", data: settings.router });
  }
  if (settings.dns !== undefined) {
    options.push({ name: "domain-name-servers", data: settings.dns });
  }
  if (settings.domainName !== undefined) {
    options.push({ name: "domain-name", data: settings.domainName });
  }
  if (settings.domainSearch !== undefined) {
    options.push({
      code: 119,
      "csv-format": false,
      data: hex(encodeDomainSearch(settings.domainSearch)),
    });
  }
  if (settings.classlessRoutes !== undefined) {
    options.push({
      code: 121,
      "csv-format": false,
      data: hex(encodeClasslessRoutes(settings.classlessRoutes)),
    });
  }
  if (settings.mtu !== undefined) {
    options.push({ name: "interface-mtu", data: String(settings.mtu) });
  }
  const config = {
    Dhcp4: {
      "interfaces-config": {
        interfaces: [settings.interface],
        // Kea's UDP sockets cannot reach a client that has no address yet.
        "dhcp-socket-type": "raw",
      },
      "lease-database": {
        type: "memfile",
        persist: true,
        name: leaseFile,
        "lfc-interval": 0,
      },
      // Kea answers a REQUEST for an unknown address with NAK only when
      // authoritative, which dnsmasq and udhcpd are too.
      authoritative: true,
      "valid-lifetime": settings.leaseTime,
      "min-valid-lifetime": settings.leaseTime,
      "max-valid-lifetime": settings.leaseTime,
      "renew-timer": t1,
      "rebind-timer": t2,
      subnet4: [{
        id: 1,
        subnet: `${settings.network}/${settings.prefix}`,
        interface: settings.interface,
        pools: [{ pool: `${settings.poolStart} - ${settings.poolEnd}` }],
        "option-data": options,
      }],
      loggers: [{
        name: "kea-dhcp4",
        "output_options": [{ output: "stdout" }],
        severity: "INFO",
      }],
    },
  };
  const configFile = `${dir}/kea-dhcp4.json`;
  return {
    argv: ["kea-dhcp4", "-c", configFile],
    // Kea refuses to start a second instance that shares its pid file.
    env: { KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: "none" },
    files: [{ path: configFile, content: JSON.stringify(config, null, 2) }],
    leaseFile,
  };
}

function udhcpd(settings: ServerSettings): ServerLaunch {
  const dir = settings.directory;
  const leaseFile = `${dir}/udhcpd.leases`;
  const [t1, t2] = defaultTimes(settings);
  const lines = [
    `interface ${settings.interface}`,
    `start ${settings.poolStart}`,
    `end ${settings.poolEnd}`,
    `lease_file ${leaseFile}`,
    `pidfile ${dir}/udhcpd.pid`,
    `min_lease ${settings.leaseTime}`,
    `option subnet ${formatIpv4(prefixToMask(settings.prefix))}`,
    `option lease ${settings.leaseTime}`,
    // udhcpd knows no names for T1 and T2; numbers take hex payloads.
    `option 0x3a ${t1.toString(16).padStart(8, "0")}`,
    `option 0x3b ${t2.toString(16).padStart(8, "0")}`,
  ];
  if (settings.router !== undefined) {
    lines.push(`option router ${settings.router}`);
  }
  if (settings.dns !== undefined) lines.push(`option dns ${settings.dns}`);
  if (settings.domainName !== undefined) {
    lines.push(`option domain ${settings.domainName}`);
  }
  if (settings.domainSearch !== undefined) {
    lines.push(`option search ${settings.domainSearch.join(" ")}`);
  }
  if (settings.classlessRoutes !== undefined) {
    const routes = settings.classlessRoutes.map((route) =>
      `${route.destination}/${route.prefix} ${route.gateway}`
    );
    lines.push(`option staticroutes ${routes.join(" ")}`);
  }
  if (settings.mtu !== undefined) lines.push(`option mtu ${settings.mtu}`);
  const configFile = `${dir}/udhcpd.conf`;
  return {
    // -a 0: no ARP probe of each address before offering it, which would
    // hold every offer back by two seconds.
    argv: ["udhcpd", "-f", "-a", "0", configFile],
    env: {},
    files: [{ path: configFile, content: lines.join("\n") + "\n" }],
    leaseFile,
  };
}

function npmDhcp(settings: ServerSettings, deno: string): ServerLaunch {
  const [t1, t2] = defaultTimes(settings);
  const network = parseIpv4(settings.network);
  const mask = prefixToMask(settings.prefix);
  const config = {
    serverAddress: settings.serverAddress,
    netmask: formatIpv4(mask),
    broadcast: formatIpv4((network | ~mask) >>> 0),
    poolStart: settings.poolStart,
    poolEnd: settings.poolEnd,
    leaseTime: settings.leaseTime,
    renewalTime: t1,
    rebindingTime: t2,
    ...(settings.router === undefined ? {} : { router: settings.router }),
    ...(settings.dns === undefined ? {} : { dns: [settings.dns] }),
    ...(settings.domainName === undefined
      ? {}
      : { domainName: settings.domainName }),
    ...(settings.domainSearch === undefined ? {} : {
      domainSearch: Array.from(encodeDomainSearch(settings.domainSearch)),
    }),
    ...(settings.classlessRoutes === undefined ? {} : {
      classlessRoutes: Array.from(
        encodeClasslessRoutes(settings.classlessRoutes),
      ),
    }),
    ...(settings.mtu === undefined ? {} : { mtu: settings.mtu }),
    leases: settings.leases ?? [],
  };
  const program = decodeURIComponent(
    new URL("./npm_dhcp_server.ts", import.meta.url).pathname,
  );
  const denoJson = decodeURIComponent(
    new URL("../../deno.json", import.meta.url).pathname,
  );
  return {
    argv: [
      deno,
      "run",
      "-A",
      "--config",
      denoJson,
      program,
      JSON.stringify(config),
    ],
    env: {},
    files: [],
    leaseFile: "",
  };
}

/**
 * Builds the command line and files that start one server.
 *
 * @param settings What to offer and where to keep state.
 * @param deno The Deno executable, for the npm-dhcp server.
 * @returns The argv, environment and files.
 * @throws {RangeError} If the times are impossible for this server.
 */
export function serverLaunch(
  settings: ServerSettings,
  deno: string = Deno.execPath(),
): ServerLaunch {
  checkLeaseTimes(settings.kind, settings);
  switch (settings.kind) {
    case "dnsmasq":
      return dnsmasq(settings);
    case "kea":
      return kea(settings);
    case "udhcpd":
      return udhcpd(settings);
    case "npm-dhcp":
      return npmDhcp(settings, deno);
  }
}
