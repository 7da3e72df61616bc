/**
 * The demo: three interfaces in a throw-away network namespace, each served
 * by its own DHCP server (the npm `dhcp` package, so nothing beyond Deno and
 * iproute2 is needed), one ocidhcp process per interface started largest
 * name first. It shows every lease, which interface owns the single default
 * route and why, and the route moving when the owner releases its lease.
 *
 * Run as root: `deno task demo`.
 *
 * @module
 */

import { Lab, type LabRoute } from "../lib/lab/lab.ts";
import type { LabProcess } from "../lib/lab/lab_process.ts";
import { compareInterfaceNames } from "../lib/route/default_route_policy.ts";

const NAMES = ["eth0", "eth1", "eth2"];
const DECISION =
  /installed the default route|default route is owned by|not a default route/;
const LEASE_TIME = 600;

function defaultRoutes(routes: readonly LabRoute[]): LabRoute[] {
  return routes.filter((route) => route.destination === "default");
}

async function waitForOwner(
  lab: Lab,
  owner: string,
  timeoutMs: number,
): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    const defaults = defaultRoutes(await lab.routes());
    if (defaults.length === 1 && defaults[0]?.device === owner) {
      return performance.now() - start;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${owner} did not get the default route in ${timeoutMs} ms`);
}

// The text of a client's log line after its "<interface>: " prefix.
function messageOf(line: string, name: string): string {
  const at = line.indexOf(`${name}: `);
  return at < 0 ? line : line.slice(at + name.length + 2);
}

function showRoutes(routes: readonly LabRoute[]): void {
  for (const route of routes) {
    const via = route.gateway ? ` via ${route.gateway}` : "";
    const proto = route.protocol ? ` proto ${route.protocol}` : "";
    console.log(`    ${route.destination}${via} dev ${route.device}${proto}`);
  }
}

async function main(): Promise<void> {
  if (Deno.uid() !== 0) {
    console.error("error: the demo builds network namespaces; run it as root");
    Deno.exit(1);
  }
  console.log("ocidhcp demo: one default route for many interfaces\n");
  await using lab = await Lab.create({
    interfaces: NAMES,
    server: "npm-dhcp",
    leaseTime: LEASE_TIME,
  });
  // Ctrl-C would end the process before `await using` disposes of the
  // lab, leaving its namespaces and servers behind.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      console.log(`\n${signal}: removing the lab`);
      void lab.close().finally(() => Deno.exit(130));
    });
  }
  console.log(`lab: client namespace ${lab.clientNamespace}`);
  for (const link of lab.links) {
    console.log(
      `  ${link.name}: ${link.network}/${link.prefix}, DHCP server and ` +
        `router ${link.serverAddress} in ${link.serverNamespace}`,
    );
  }

  const clients = new Map<string, LabProcess>();
  const order = [...NAMES].sort(compareInterfaceNames).reverse();
  console.log(
    `\nstarting one ocidhcp per interface, largest name first: ` +
      order.join(", "),
  );
  for (const name of order) {
    const client = lab.spawnClient([name]);
    clients.set(name, client);
    const leased = await client.waitFor(/leased \S+ from \S+/, 15_000);
    // The arbiter logs its decision, with the reason, once the lease's
    // address and routes are in place.
    const decision = await client.waitFor(DECISION, 15_000);
    console.log(`  ${name}: ${messageOf(leased, name)}`);
    console.log(`  ${name}: ${messageOf(decision, name)}`);
  }

  const smallest = [...NAMES].sort(compareInterfaceNames)[0]!;
  await waitForOwner(lab, smallest, 2_000);
  console.log("\nmain table of the client namespace:");
  showRoutes(await lab.routes());

  const next = [...NAMES].sort(compareInterfaceNames)[1]!;
  console.log(`\nstopping ${smallest}'s client with a DHCPRELEASE`);
  const owner = clients.get(smallest)!;
  owner.signal("SIGUSR2");
  const took = await waitForOwner(lab, next, 5_000);
  console.log(
    `  ${next} took the default route over ${took.toFixed(0)} ms later`,
  );
  showRoutes(await lab.routes());

  console.log("\nstopping every client and removing the lab");
  await Promise.all([...clients.values()].map((client) => client.stop()));
  console.log("done");
}

if (import.meta.main) {
  await main();
}
