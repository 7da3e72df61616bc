/**
 * A DHCP server for the lab built on the npm `dhcp` package, so ocidhcp is
 * also tested against a server with quirks unlike dnsmasq's, Kea's and
 * udhcpd's.
 *
 * Run it inside the server namespace with one JSON argument (see
 * {@linkcode NpmDhcpServerConfig}):
 *
 * ```sh
 * deno run -A lib/lab/npm_dhcp_server.ts '{"serverAddress":"198.18.0.1",...}'
 * ```
 *
 * It prints `{"event":"ready"}` once it listens on port 67, then one JSON
 * line per lease it grants: `{"event":"lease","hardwareAddress":...,
 * "address":...,"expires":<unix seconds>}`.
 *
 * Limitations: the package never sends DHCPNAK and ignores DHCPRELEASE and
 * DHCPDECLINE; it grants whatever address it picks for a client's MAC.
 *
 * @module
 */

import dhcpModule from "dhcp";

/** The settings the server takes as its only argument, in JSON. */
export interface NpmDhcpServerConfig {
  /** The server's own address, sent as the server identifier. */
  serverAddress: string;
  /** The subnet mask of the link. */
  netmask: string;
  /** The link's broadcast address; the package sends every reply there. */
  broadcast: string;
  /** The first address of the pool. */
  poolStart: string;
  /** The last address of the pool. */
  poolEnd: string;
  /** The lease time in seconds. */
  leaseTime: number;
  /** T1 in seconds. */
  renewalTime: number;
  /** T2 in seconds. */
  rebindingTime: number;
  /** The router to offer, or none. */
  router?: string;
  /** The DNS servers to offer, or none. */
  dns?: string[];
  /** Option 15. */
  domainName?: string;
  /** Option 119, already encoded as RFC 1035 names. */
  domainSearch?: number[];
  /** Option 121, already encoded as RFC 3442 says. */
  classlessRoutes?: number[];
  /** Option 26. */
  mtu?: number;
  /** Leases to honour from an earlier run, so a restart remembers them. */
  leases?: { hardwareAddress: string; address: string }[];
}

interface DhcpLease {
  address?: string | null;
  state?: string | null;
  bindTime?: Date | null;
  leasePeriod?: number;
}

type Handler = (request: unknown) => void;

interface DhcpServer {
  handleDiscover: Handler;
  handleRequest: Handler;
  on(
    event: "bound",
    listener: (state: Record<string, DhcpLease>) => void,
  ): void;
  on(event: "error", listener: (error: unknown) => void): void;
  on(event: "listening", listener: () => void): void;
  listen(port: number, host: string, callback?: () => void): void;
}

interface DhcpModule {
  createServer(config: Record<string, unknown>): DhcpServer;
  addOption(
    code: number,
    definition: { name: string; type: string; config: string },
  ): void;
}

const dhcp = dhcpModule as unknown as DhcpModule;

// The package encodes option 119 as plain text and option 121 as a list of
// addresses, which no client decodes correctly; send prepared bytes.
dhcp.addOption(119, {
  name: "Domain Search List",
  type: "UInt8s",
  config: "domainSearchList",
});
dhcp.addOption(121, {
  name: "Classless Static Route",
  type: "UInt8s",
  config: "classlessRoute",
});
// The package refuses to answer without a router (3) and DNS servers (6).
// A "Bool" option whose value is not true is skipped when encoding, which
// lets the lab leave these options out.
const OMIT = "omit";
dhcp.addOption(3, { name: "Router", type: "Bool", config: "router" });
dhcp.addOption(6, { name: "DNS", type: "Bool", config: "dns" });

function toMac(packageMac: string): string {
  return packageMac.toLowerCase().replaceAll("-", ":");
}

function fromMac(mac: string): string {
  return mac.toUpperCase().replaceAll(":", "-");
}

function start(config: NpmDhcpServerConfig): void {
  const remembered = new Map(
    (config.leases ?? []).map((
      lease,
    ) => [fromMac(lease.hardwareAddress), lease.address]),
  );
  if (config.router !== undefined) {
    dhcp.addOption(3, { name: "Router", type: "IPs", config: "router" });
  }
  if (config.dns !== undefined) {
    dhcp.addOption(6, { name: "DNS", type: "IPs", config: "dns" });
  }
  // Forced options are named by their configuration key: the package
  // looks numbers up as keys and fails.
  const forced = ["renewalTime", "rebindingTime", "broadcast"];
  if (config.domainName !== undefined) forced.push("domainName");
  if (config.domainSearch !== undefined) forced.push("domainSearchList");
  if (config.classlessRoutes !== undefined) forced.push("classlessRoute");
  if (config.mtu !== undefined) forced.push("mtuInterface");
  const server = dhcp.createServer({
    range: [config.poolStart, config.poolEnd],
    randomIP: false,
    // A function here would be called with the request's options, not the
    // MAC, so the remembered leases go in as a plain map.
    static: Object.fromEntries(remembered),
    forceOptions: forced,
    netmask: config.netmask,
    broadcast: config.broadcast,
    server: config.serverAddress,
    router: config.router === undefined ? OMIT : [config.router],
    dns: config.dns ?? OMIT,
    leaseTime: config.leaseTime,
    renewalTime: config.renewalTime,
    rebindingTime: config.rebindingTime,
    ...(config.domainName === undefined
      ? {}
      : { domainName: config.domainName }),
    ...(config.domainSearch === undefined
      ? {}
      : { domainSearchList: config.domainSearch }),
    ...(config.classlessRoutes === undefined
      ? {}
      : { classlessRoute: config.classlessRoutes }),
    ...(config.mtu === undefined ? {} : { mtuInterface: config.mtu }),
  });
  // An exception in a handler would vanish inside the socket's event
  // dispatch, leaving a server that silently ignores clients.
  for (const method of ["handleDiscover", "handleRequest"] as const) {
    const original = server[method];
    server[method] = (request) => {
      try {
        original.call(server, request);
      } catch (error) {
        console.error(`error: ${method}: ${String(error)}`);
      }
    };
  }
  const reported = new Map<string, number>();
  server.on("bound", (state) => {
    for (const [mac, lease] of Object.entries(state)) {
      const bound = lease.bindTime?.getTime();
      if (!lease.address || bound === undefined) continue;
      if (reported.get(mac) === bound) continue;
      reported.set(mac, bound);
      console.log(JSON.stringify({
        event: "lease",
        hardwareAddress: toMac(mac),
        address: lease.address,
        expires: Math.floor(bound / 1000) +
          (lease.leasePeriod ?? config.leaseTime),
      }));
    }
  });
  server.on("error", (error) => {
    console.error(`error: ${String(error)}`);
  });
  server.listen(67, "0.0.0.0", () => {
    console.log(JSON.stringify({ event: "ready" }));
  });
}

if (import.meta.main) {
  const [argument] = Deno.args;
  if (argument === undefined) {
    console.error("error: expected one JSON argument with the settings");
    Deno.exit(2);
  }
  start(JSON.parse(argument) as NpmDhcpServerConfig);
}
