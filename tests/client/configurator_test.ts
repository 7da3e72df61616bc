/**
 * IpConfigurator against real `ip` in a network namespace: what a failed
 * apply leaves is still removed, and a lease an earlier run left behind is
 * taken over only when it is really a leased address.
 */

import assert from "node:assert/strict";
import { IpConfigurator } from "../../lib/client/configurator.ts";
import type { Lease } from "../../lib/client/lease.ts";
import type { ClasslessRoute } from "../../lib/dhcp/classless_routes.ts";
import { DhcpOptions } from "../../lib/dhcp/options.ts";
import type { CommandRunner, RunOptions } from "../../lib/process/command.ts";
import { DefaultRouteArbiter } from "../../lib/route/arbiter.ts";
import { createLab, type Lab } from "../route/_netns.ts";

const GATEWAY = "198.18.0.1";

function lease(address: string, destinations: readonly string[]): Lease {
  const routes: ClasslessRoute[] = destinations.map((destination) => ({
    destination,
    prefix: 16,
    gateway: GATEWAY,
  }));
  routes.push({ destination: "0.0.0.0", prefix: 0, gateway: GATEWAY });
  return {
    interface: "eth0",
    address,
    prefix: 24,
    serverIdentifier: GATEWAY,
    routers: [GATEWAY],
    domainNameServers: [],
    domainSearch: [],
    classlessStaticRoutes: routes,
    leaseTime: 600,
    renewalTime: 300,
    rebindingTime: 525,
    acquiredAt: performance.now(),
    options: new DhcpOptions(),
  };
}

/**
 * Runs `ip` in the namespace, except that while `failing` is set the batch
 * line containing it is pointed at a device that does not exist, so the
 * real `ip` fails on that line alone, as it would on a kernel refusal.
 */
class FaultRunner implements CommandRunner {
  failing: string | undefined;
  constructor(readonly inner: CommandRunner) {}
  run(argv: readonly string[], options: RunOptions = {}) {
    const failing = this.failing;
    if (failing === undefined || options.stdin === undefined) {
      return this.inner.run(argv, options);
    }
    const stdin = options.stdin.split("\n").map((line) =>
      line.includes(failing) ? line.replace("dev eth0", "dev nosuch0") : line
    ).join("\n");
    return this.inner.run(argv, { ...options, stdin });
  }
}

interface Setup {
  lab: Lab;
  runner: FaultRunner;
  configurator: () => IpConfigurator;
  /** The lab's routes on eth0 other than the subnet route, sorted. */
  routes: () => Promise<string[]>;
  /** The addresses on eth0. */
  addresses: () => Promise<string[]>;
  [Symbol.asyncDispose]: () => Promise<void>;
}

async function setup(): Promise<Setup> {
  const lab = await createLab(["eth0"]);
  const dir = await Deno.makeTempDir({ prefix: "ocidhcp-test-" });
  let arbiter: DefaultRouteArbiter | undefined;
  try {
    const runner = new FaultRunner(lab.runner);
    const coordinator = await DefaultRouteArbiter.open({
      runner: lab.runner,
      runtimeDir: dir,
      spawn: (argv) => lab.spawn(argv),
    });
    arbiter = coordinator;
    return {
      lab,
      runner,
      configurator: () => new IpConfigurator({ runner, coordinator }),
      async routes() {
        const text = await lab.sh("ip", "-4", "-j", "route", "show");
        const routes: Array<{ dst: string; gateway?: string }> = JSON.parse(
          text,
        );
        return routes.filter((r) => r.gateway !== undefined)
          .map((r) => `${r.dst} via ${r.gateway}`).sort();
      },
      async addresses() {
        const text = await lab.sh("ip", "-4", "-j", "addr", "show", "eth0");
        const links: Array<{ addr_info: Array<{ local: string }> }> = JSON
          .parse(text);
        return links.flatMap((l) => l.addr_info.map((a) => a.local)).sort();
      },
      async [Symbol.asyncDispose]() {
        await coordinator.close();
        await lab.destroy();
        await Deno.remove(dir, { recursive: true });
      },
    };
  } catch (error) {
    await arbiter?.close();
    await lab.destroy();
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}

Deno.test({
  name: "IpConfigurator.remove() deletes the routes of an apply that " +
    "failed partway",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using s = await setup();
    const configurator = s.configurator();
    const first = lease("198.18.0.50", ["10.1.0.0", "10.2.0.0"]);
    s.runner.failing = "10.2.0.0/16";
    await assert.rejects(configurator.apply(first, undefined), /nosuch0/);
    s.runner.failing = undefined;
    // -force ran the lines around the failing one.
    assert.deepEqual(await s.routes(), ["10.1.0.0/16 via 198.18.0.1"]);
    await configurator.remove(first);
    assert.deepEqual(await s.routes(), []);
    assert.deepEqual(await s.addresses(), ["198.18.0.2"]);
  },
});

Deno.test({
  name: "IpConfigurator.apply() after a partial apply leaves exactly the " +
    "new lease's routes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using s = await setup();
    const configurator = s.configurator();
    const first = lease("198.18.0.50", ["10.1.0.0", "10.2.0.0"]);
    s.runner.failing = "10.2.0.0/16";
    await assert.rejects(configurator.apply(first, undefined), /nosuch0/);
    s.runner.failing = undefined;
    // The retry carries a lease the server changed meanwhile.
    const second = lease("198.18.0.50", ["10.3.0.0"]);
    await configurator.apply(second, undefined);
    assert.deepEqual(await s.routes(), [
      "10.3.0.0/16 via 198.18.0.1",
      "default via 198.18.0.1",
    ]);
    await configurator.remove(second);
    assert.deepEqual(await s.routes(), []);
  },
});

Deno.test({
  name: "IpConfigurator.adopt() takes over an earlier run's lease and never " +
    "a static address",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using s = await setup();
    // The lab's own 198.18.0.2/24 has no lifetime: not a lease.
    const configurator = s.configurator();
    assert.equal(
      await configurator.adopt(lease("198.18.0.2", ["10.9.0.0"])),
      false,
    );
    // An earlier run installed a lease and stopped without releasing it.
    const earlier = lease("198.18.0.50", ["10.1.0.0"]);
    await s.configurator().apply(earlier, undefined);
    assert.equal(await configurator.adopt(earlier), true);
    const next = lease("198.18.0.60", ["10.2.0.0"]);
    await configurator.apply(next, earlier);
    assert.deepEqual(await s.addresses(), ["198.18.0.2", "198.18.0.60"]);
    assert.deepEqual(await s.routes(), [
      "10.2.0.0/16 via 198.18.0.1",
      "default via 198.18.0.1",
    ]);
    await configurator.remove(next);
    assert.deepEqual(await s.addresses(), ["198.18.0.2"]);
    assert.deepEqual(await s.routes(), []);
  },
});

Deno.test({
  name: "IpConfigurator.adopt() calls made together share one listing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const names = ["eth0", "eth1", "eth2"];
    const lab = await createLab(names);
    const dir = await Deno.makeTempDir({ prefix: "ocidhcp-test-" });
    const coordinator = await DefaultRouteArbiter.open({
      runner: lab.runner,
      runtimeDir: dir,
      spawn: (argv) => lab.spawn(argv),
    });
    try {
      const leases = names.map((name, n) => ({
        ...lease(`198.18.${n}.50`, []),
        interface: name,
        serverIdentifier: `198.18.${n}.1`,
        routers: [`198.18.${n}.1`],
        classlessStaticRoutes: [],
      }));
      // An earlier run left leases on eth0 and eth1, none on eth2.
      const earlier = new IpConfigurator({ runner: lab.runner, coordinator });
      for (const each of leases.slice(0, 2)) {
        await earlier.apply(each, undefined);
      }
      const calls = lab.runner.calls.length;
      const configurator = new IpConfigurator({
        runner: lab.runner,
        coordinator,
      });
      assert.deepEqual(
        await Promise.all(leases.map((each) => configurator.adopt(each))),
        [true, true, false],
      );
      const listings = lab.runner.calls.slice(calls).filter((argv) =>
        argv.includes("addr") && argv.includes("show")
      );
      assert.equal(listings.length, 1, JSON.stringify(listings));
      // A later adoption lists afresh.
      assert.equal(await configurator.adopt(leases[0]!), true);
      assert.equal(
        lab.runner.calls.slice(calls).filter((argv) => argv.includes("show"))
          .length,
        2,
      );
    } finally {
      await coordinator.close();
      await lab.destroy();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
