/**
 * Faults the client must survive with nothing lost: an interface removed
 * under it, `ip` missing, SIGKILL and restart, unwritable resolv.conf and
 * state directory.
 */

import assert from "node:assert/strict";
import { Lab } from "../../lib/lab/lab.ts";
import { waitUntil } from "./_wait.ts";

const READY = /ready: .* configured/;

async function host(argv: string[]): Promise<void> {
  const [program, ...args] = argv;
  const output = await new Deno.Command(program!, { args, stderr: "piped" })
    .output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
}

Deno.test({
  name: "removing the owner's interface hands the default route over and " +
    "the client keeps running",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create({ interfaces: 2 });
    const client = lab.spawnClient(["--state-dir", "none", "eth0", "eth1"]);
    await client.waitFor(READY, 15_000);
    await lab.run(["ip", "link", "del", "eth0"]);
    await waitUntil(
      async () => {
        const defaults = (await lab.routes()).filter((r) =>
          r.destination === "default"
        );
        return defaults.length === 1 && defaults[0]?.device === "eth1";
      },
      1_000,
      () => `eth1 did not take the default route:\n${client.output()}`,
    );
    await client.waitFor(/eth0: link down/, 2_000);
    assert.equal(client.exited, false, client.output());
    // eth1 is still served: a renewal goes through.
    client.signal("SIGUSR1");
    await client.waitFor(/eth1: renewing/, 5_000);
    assert.equal((await client.stop()).code, 0, client.output());
    assert.doesNotMatch(client.output(), /Uncaught|panicked/);
  },
});

Deno.test({
  name: "without ip on PATH the client exits 1 saying what is missing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create();
    // PATH is changed for the client only, after `ip netns exec` ran.
    const root = new URL("../../", import.meta.url).pathname;
    const bin = Deno.env.get("OCIDHCP_BIN");
    const command = bin !== undefined ? [bin] : [
      Deno.execPath(),
      "run",
      "-P=client",
      "--unstable-net",
      "--config",
      `${root}deno.json`,
      `${root}cli/main.ts`,
    ];
    const client = lab.spawn([
      "env",
      "PATH=/nonexistent",
      ...command,
      "--state-dir",
      "none",
      "eth0",
    ]);
    const status = await client.status;
    assert.equal(status.code, 1, client.output());
    assert.match(client.output(), /error: .*"ip".*(not found|PATH)/);
  },
});

Deno.test({
  name: "after SIGKILL a restart gets the same address back by INIT-REBOOT " +
    "with one default route",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create();
    const dir = await Deno.makeTempDir({ prefix: "ocidhcp-test-" });
    try {
      const args = [
        "--log-level",
        "debug",
        "--state-dir",
        dir,
        "--resolv-conf",
        "none",
        "eth0",
      ];
      const first = lab.spawnClient(args);
      await first.waitFor(READY, 15_000);
      const address = (await lab.addresses("eth0"))[0]?.address;
      first.signal("SIGKILL");
      await first.status;
      const second = lab.spawnClient(args);
      await second.waitFor(READY, 15_000);
      assert.match(second.output(), /INIT -> REBOOTING/);
      assert.equal((await lab.addresses("eth0"))[0]?.address, address);
      const routes = await lab.routes();
      assert.equal(
        routes.filter((r) => r.destination === "default").length,
        1,
        JSON.stringify(routes),
      );
      assert.equal(
        new Set(routes.map((r) => JSON.stringify(r))).size,
        routes.length,
      );
      await second.stop();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a read-only resolv.conf and an unwritable state directory are " +
    "logged and the network is still configured",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create();
    const dir = await Deno.makeTempDir({ prefix: "ocidhcp-test-" });
    const resolvConf = `${dir}/resolv.conf`;
    await Deno.writeTextFile(resolvConf, "nameserver 192.0.2.99\n");
    // A read-only bind mount, as a runtime may provide.
    await host(["mount", "--bind", resolvConf, resolvConf]);
    await host(["mount", "-o", "remount,ro,bind", resolvConf]);
    try {
      const client = lab.spawnClient([
        "--resolv-conf",
        resolvConf,
        // A path under a regular file can never be created.
        "--state-dir",
        `${resolvConf}/state`,
        "eth0",
      ]);
      await client.waitFor(READY, 15_000);
      await client.waitFor(/EROFS|read-only/i, 2_000);
      await client.waitFor(/state/i, 2_000);
      assert.equal((await lab.addresses("eth0")).length, 1);
      assert.equal(
        (await lab.routes()).filter((r) => r.destination === "default")
          .length,
        1,
      );
      assert.equal(
        await Deno.readTextFile(resolvConf),
        "nameserver 192.0.2.99\n",
      );
      assert.equal((await client.stop()).code, 0, client.output());
    } finally {
      await host(["umount", resolvConf]);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
