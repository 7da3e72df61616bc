import assert from "node:assert/strict";
import { IpMonitor, MONITOR_ARGV } from "../../lib/ip/monitor.ts";
import { LinkMonitor } from "../../lib/ip/link_monitor.ts";
import { RouteWatcher } from "../../lib/route/route_watcher.ts";
import { spawnChild } from "../../lib/process/line_child.ts";

// Stands in for `ip -4 monitor route link`: prints a link event (two lines)
// and a default route deletion, then waits to be stopped.
const SCRIPT =
  "echo '3: eth0@if4: <BROADCAST,MULTICAST> mtu 1500 state DOWN';" +
  "echo '    link/ether 5a:fa:2b:26:f6:22 brd ff:ff:ff:ff:ff:ff';" +
  "echo 'Deleted default via 198.18.0.1 dev eth0 proto dhcp';" +
  "exec sleep 30";

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(done(), "timed out");
}

Deno.test("IpMonitor serves the route and link watchers from one child", async () => {
  const children: Deno.ChildProcess[] = [];
  const monitor = new IpMonitor((argv) => {
    assert.deepEqual(argv, MONITOR_ARGV);
    const child = spawnChild(["sh", "-c", SCRIPT]);
    children.push(child);
    return child;
  });
  let routeEvents = 0;
  const linkChanges: string[] = [];
  const watcher = new RouteWatcher(monitor, () => routeEvents++);
  watcher.start();
  const links = new LinkMonitor(
    new Map([["eth0", { usable: true }]]),
    (change) => linkChanges.push(`${change.name} usable=${change.usable}`),
    monitor,
  );
  await until(() => routeEvents === 2);
  // The link line and the route deletion are ownership events; the second
  // line of the link event is not.
  assert.equal(routeEvents, 2);
  assert.deepEqual(linkChanges, ["eth0 usable=false"]);
  assert.equal(children.length, 1);

  await watcher.stop();
  assert.equal(children.length, 1);
  // The link watcher still holds the child.
  const status = await Promise.race([
    children[0]!.status,
    new Promise((resolve) => setTimeout(() => resolve("running"), 100)),
  ]);
  assert.equal(status, "running");
  await links.close();
  assert.equal((await children[0]!.status).signal, "SIGTERM");
});

Deno.test("IpMonitor delivers lines in order to every subscriber", async () => {
  const monitor = new IpMonitor(() => spawnChild(["sh", "-c", SCRIPT]));
  const seen: string[][] = [[], []];
  const stops = seen.map((lines) => monitor.subscribe((l) => lines.push(l)));
  await until(() => seen.every((lines) => lines.length === 3));
  assert.deepEqual(seen[0], seen[1]);
  assert.match(seen[0]![2]!, /^Deleted default/);
  for (const stop of stops) await stop();
});

Deno.test("IpMonitor: a failing subscriber does not blind the others", async () => {
  const monitor = new IpMonitor(() => spawnChild(["sh", "-c", SCRIPT]));
  const lines: string[] = [];
  const first = monitor.subscribe(() => {
    throw new Error("subscriber failure");
  });
  const second = monitor.subscribe((line) => lines.push(line));
  await until(() => lines.length === 3);
  await first();
  await second();
});

Deno.test("IpMonitor starts a new child after the last one stopped", async () => {
  let spawned = 0;
  const monitor = new IpMonitor(() => {
    spawned++;
    return spawnChild(["sh", "-c", SCRIPT]);
  });
  const stop = monitor.subscribe(() => {});
  await stop();
  await stop();
  const again = monitor.subscribe(() => {});
  assert.equal(spawned, 2);
  await again();
});

Deno.test("IpMonitor throws when ip cannot be started, and stays usable", () => {
  let fail = true;
  const monitor = new IpMonitor(() => {
    if (fail) throw new Deno.errors.NotFound("ip");
    return spawnChild(["sh", "-c", SCRIPT]);
  });
  assert.throws(() => monitor.subscribe(() => {}), Deno.errors.NotFound);
  fail = false;
  const stop = monitor.subscribe(() => {});
  return stop();
});
