import assert from "node:assert/strict";
import {
  CommandFailedError,
  type CommandResult,
  type CommandRunner,
} from "../../lib/process/command.ts";
import { DeviceNotFoundError, IpRoute } from "../../lib/route/ip_route.ts";
import type { Route } from "../../lib/route/route.ts";
import { createLab, defaultRoutes } from "./_netns.ts";

class FakeRunner implements CommandRunner {
  calls: Array<{ argv: string[]; stdin: string | undefined }> = [];
  constructor(readonly reply: (argv: readonly string[]) => CommandResult) {}
  run(
    argv: readonly string[],
    options: { stdin?: string } = {},
  ): Promise<CommandResult> {
    this.calls.push({ argv: [...argv], stdin: options.stdin });
    return Promise.resolve(this.reply(argv));
  }
}

const ok = { code: 0, stdout: "", stderr: "" };

Deno.test("IpRoute.apply() needs a device on every change", async () => {
  const ip = new IpRoute(new FakeRunner(() => ok));
  await assert.rejects(
    ip.apply([{ mode: "replace", route: { destination: "default" } }]),
    /needs a device, got none for default/,
  );
});

Deno.test(
  "IpRoute.apply() runs one ip for one change and one batch for several",
  async () => {
    const runner = new FakeRunner(() => ok);
    const ip = new IpRoute(runner);
    const route: Route = {
      destination: "default",
      device: "eth0",
      gateway: "198.18.0.1",
    };
    await ip.apply([{ mode: "replace", route }]);
    await ip.apply([
      { mode: "replace", route },
      { mode: "delete", route: { ...route, device: "eth1", metric: 5 } },
    ]);
    assert.equal(runner.calls.length, 2);
    assert.deepEqual(runner.calls[0]?.argv.slice(0, 4), [
      "ip",
      "-4",
      "route",
      "replace",
    ]);
    assert.deepEqual(runner.calls[1]?.argv, [
      "ip",
      "-4",
      "-force",
      "-batch",
      "-",
    ]);
    assert.equal(
      runner.calls[1]?.stdin,
      "route replace default via 198.18.0.1 dev eth0 table main metric 0\n" +
        "route del default via 198.18.0.1 dev eth1 table main metric 5\n",
    );
  },
);

Deno.test(
  "IpRoute.apply() tells real batch failures from missing routes",
  async (t) => {
    const route: Route = { destination: "default", device: "eth0" };
    await t.step("a missing route to delete is not an error", async () => {
      const ip = new IpRoute(
        new FakeRunner(() => ({
          code: 1,
          stdout: "",
          stderr: "RTNETLINK answers: No such process\nCommand failed -:2\n",
        })),
      );
      await ip.apply([{ mode: "replace", route }, { mode: "delete", route }]);
    });
    await t.step("a failed replace is reported with stderr", async () => {
      const ip = new IpRoute(
        new FakeRunner(() => ({
          code: 1,
          stdout: "",
          stderr:
            "RTNETLINK answers: Network is unreachable\nCommand failed -:1\n",
        })),
      );
      await assert.rejects(
        ip.apply([{ mode: "replace", route }, { mode: "delete", route }]),
        (error: unknown) => {
          assert.ok(error instanceof CommandFailedError);
          assert.equal(error.code, 1);
          assert.match(error.stderr, /Network is unreachable/);
          return true;
        },
      );
    });
  },
);

Deno.test("IpRoute works against the kernel in a namespace", async (t) => {
  const lab = await createLab(["eth0", "eth1"]);
  try {
    const ip = new IpRoute(lab.runner);
    const eth0: Route = {
      destination: "default",
      gateway: "198.18.0.1",
      device: "eth0",
      protocol: "dhcp",
    };
    await t.step("replace twice never hits EEXIST", async () => {
      await ip.apply([{ mode: "replace", route: eth0 }]);
      await ip.apply([{ mode: "replace", route: eth0 }]);
      assert.deepEqual(await defaultRoutes(lab), ["eth0 198.18.0.1 0"]);
    });
    await t.step("list without a device covers all devices", async () => {
      const routes = await ip.list({});
      assert.deepEqual(
        routes.map((r) => `${r.destination} ${r.device} ${r.protocol}`).sort(),
        [
          "198.18.0.0/24 eth0 kernel",
          "198.18.1.0/24 eth1 kernel",
          "default eth0 dhcp",
        ],
      );
    });
    await t.step("list with a device lists only that device", async () => {
      const routes = await ip.list({ device: "eth1" });
      assert.deepEqual(routes.map((r) => r.destination), ["198.18.1.0/24"]);
    });
    await t.step(
      "list with a missing device lists the whole table",
      async () => {
        const routes = await ip.list({ device: "nosuch0" });
        assert.equal(routes.length, 3);
      },
    );
    await t.step("a batch replaces and deletes in one process", async () => {
      const before = lab.runner.calls.length;
      await ip.apply([
        {
          mode: "replace",
          route: { ...eth0, gateway: "198.18.1.1", device: "eth1", metric: 7 },
        },
        { mode: "delete", route: eth0 },
      ]);
      assert.equal(lab.runner.calls.length, before + 1);
      assert.deepEqual(await defaultRoutes(lab), ["eth1 198.18.1.1 7"]);
    });
    await t.step("deleting a route already gone succeeds", async () => {
      await ip.apply([{ mode: "delete", route: eth0 }]);
      await ip.apply([
        { mode: "delete", route: eth0 },
        { mode: "delete", route: { ...eth0, metric: 9 } },
      ]);
    });
    await t.step("a missing device is a DeviceNotFoundError", async () => {
      await assert.rejects(
        ip.apply([{ mode: "replace", route: { ...eth0, device: "nosuch0" } }]),
        (error: unknown) => {
          assert.ok(error instanceof DeviceNotFoundError);
          assert.equal(error.device, "nosuch0");
          assert.ok(error.argv.includes("nosuch0"));
          return true;
        },
      );
    });
    await t.step("flush removes the device's dhcp routes", async () => {
      await ip.apply([{
        mode: "flush",
        route: { destination: "default", device: "eth1", protocol: "dhcp" },
      }]);
      assert.deepEqual(await defaultRoutes(lab), []);
    });
  } finally {
    await lab.destroy();
  }
});
