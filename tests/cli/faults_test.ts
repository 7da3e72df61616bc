/**
 * Faults the client must survive with nothing lost: an interface removed,
 * renamed, down at start or losing its carrier under it, `ip` missing,
 * unwritable or full filesystem under resolv.conf and the state directory.
 * SIGKILL and restart, in every state, are in sigkill_test.ts; `ip`
 * failing under a running client is in ip_faults_test.ts.
 */

import assert from "node:assert/strict";
import { Lab } from "../../lib/lab/lab.ts";
import { waitUntil } from "./_wait.ts";

const READY = /ready: .* configured/;
const RENAMED = /eth0: renamed to wan0; no longer managed/;

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

async function defaultRouteOn(lab: Lab, device: string): Promise<boolean> {
  const defaults = (await lab.routes()).filter((r) =>
    r.destination === "default"
  );
  return defaults.length === 1 && defaults[0]?.device === device;
}

Deno.test({
  name: "renaming the owner's interface hands the default route over, warns " +
    "with both names, and the name is served again when it comes back",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using lab = await Lab.create({ interfaces: 2 });
    const client = lab.spawnClient(["--state-dir", "none", "eth0", "eth1"]);
    await client.waitFor(READY, 15_000);
    await t.step("an UP link renamed", async () => {
      // Linux 6.2 and later rename an UP link, keeping its addresses and
      // routes, and announce no carrier loss.
      await lab.run(["ip", "link", "set", "dev", "eth0", "name", "wan0"]);
      await waitUntil(
        () => defaultRouteOn(lab, "eth1"),
        2_000,
        () => `eth1 did not take the default route:\n${client.output()}`,
      );
      await client.waitFor(RENAMED, 2_000);
      await waitUntil(
        async () => (await lab.addresses("wan0")).length === 0,
        2_000,
        () => `the lease stayed on wan0:\n${client.output()}`,
      );
    });
    await t.step("renamed back, it is served again", async () => {
      await lab.run(["ip", "link", "set", "dev", "wan0", "name", "eth0"]);
      // eth0 sorts first, so it takes the default route back.
      await waitUntil(
        () => defaultRouteOn(lab, "eth0"),
        5_000,
        () => `eth0 did not take the default route back:\n${client.output()}`,
      );
    });
    await t.step("a down link renamed", async () => {
      await lab.run(["ip", "link", "set", "dev", "eth0", "down"]);
      await lab.run(["ip", "link", "set", "dev", "eth0", "name", "wan0"]);
      await waitUntil(
        () => defaultRouteOn(lab, "eth1"),
        2_000,
        () => `eth1 did not take the default route:\n${client.output()}`,
      );
      await waitUntil(
        () =>
          client.output().split("\n").filter((l) => RENAMED.test(l)).length ===
            2,
        2_000,
        () => `no second rename warning:\n${client.output()}`,
      );
      // The address a down link keeps is removed under its new name.
      await waitUntil(
        async () => (await lab.addresses("wan0")).length === 0,
        2_000,
        () => `the lease stayed on wan0:\n${client.output()}`,
      );
    });
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
      await client.waitFor(
        new RegExp(
          `Cannot write state file ${resolvConf.replaceAll(".", "\\.")}` +
            "/state\\S*: ENOTDIR; the client keeps running",
        ),
        2_000,
      );
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

Deno.test({
  name: "a full filesystem under resolv.conf and the state directory is " +
    "logged with ENOSPC, leaves resolv.conf whole, and the client renews",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create({
      leaseTime: 120,
      renewalTime: 2,
      rebindingTime: 6,
    });
    const dir = await Deno.makeTempDir({ prefix: "ocidhcp-test-" });
    await host(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", dir]);
    try {
      const resolvConf = `${dir}/resolv.conf`;
      const old = "nameserver 192.0.2.99\n";
      await Deno.writeTextFile(resolvConf, old);
      // dd stops at ENOSPC, leaving not one free block.
      await new Deno.Command("dd", {
        args: ["if=/dev/zero", `of=${dir}/fill`, "bs=1k"],
        stderr: "null",
      }).output();
      await assert.rejects(
        Deno.writeTextFile(`${dir}/probe`, "x"),
        /No space left on device/,
      );
      await Deno.remove(`${dir}/probe`);
      const client = lab.spawnClient([
        "--resolv-conf",
        resolvConf,
        "--state-dir",
        `${dir}/state`,
        "eth0",
      ]);
      try {
        await client.waitFor(READY, 15_000);
        const escaped = dir.replaceAll(".", "\\.");
        await client.waitFor(
          new RegExp(`Cannot write ${escaped}/resolv\\.conf: ENOSPC`),
          2_000,
        );
        await client.waitFor(
          new RegExp(`Cannot write state file ${escaped}/state/\\S+: ENOSPC`),
          2_000,
        );
        assert.equal((await lab.addresses("eth0")).length, 1);
        assert.ok(await defaultRouteOn(lab, "eth0"), client.output());
        // The renewal at T1 goes through and meets the full disk again.
        await client.waitFor(/eth0: renewing/, 10_000);
        await waitUntil(
          () =>
            client.lines().filter((l) =>
              /Cannot write state file .*: ENOSPC/.test(l.text)
            ).length >= 2,
          5_000,
          () => `no write after the renewal:\n${client.output()}`,
        );
        const lifetime = (await lab.addresses("eth0"))[0]?.validLifetime;
        assert.ok(lifetime !== undefined && lifetime > 115, String(lifetime));
        assert.equal(client.exited, false, client.output());
        assert.equal(await Deno.readTextFile(resolvConf), old);
      } finally {
        assert.equal((await client.stop()).code, 0, client.output());
      }
      assert.doesNotMatch(client.output(), /Uncaught|panicked/);
      assert.equal(await Deno.readTextFile(resolvConf), old);
      // No temporary file is left to hold the little space there is; while
      // the client ran, one could be seen in the middle of a write.
      const names = [];
      for await (const entry of Deno.readDir(dir)) names.push(entry.name);
      assert.deepEqual(
        names.filter((n) => n !== "state").sort(),
        ["fill", "resolv.conf"],
      );
    } finally {
      await host(["umount", dir]);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "an interface that starts down is brought up and configured",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create();
    await lab.linkDown(0, "client");
    const client = lab.spawnClient(["--one-shot", "--resolv-conf", "none"]);
    assert.equal((await client.status).code, 0, client.output());
    const result = await lab.run(["ip", "-j", "link", "show", "dev", "eth0"]);
    const [link] = JSON.parse(result.stdout) as { flags: string[] }[];
    assert.ok(link?.flags.includes("UP"), result.stdout);
    assert.equal((await lab.addresses("eth0")).length, 1);
  },
});

Deno.test({
  name: "an interface without carrier at start is served as soon as " +
    "carrier comes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create();
    // The far end down: eth0 is up but has no carrier. The client reads
    // the link before its `ip monitor` listens, so it learns of the
    // missing carrier from its second reading.
    await lab.linkDown(0, "server");
    const client = lab.spawnClient(["--resolv-conf", "none", "eth0"]);
    try {
      await client.waitFor(/eth0: link down/, 5_000);
      await lab.linkUp(0, "server");
      const carrier = performance.now();
      // Without the news of the carrier loss, the next DISCOVER would wait
      // for its retransmission, 3 to 5 s after the first.
      await client.waitFor(READY, 5_000);
      const elapsed = performance.now() - carrier;
      assert.ok(
        elapsed < 2_000,
        `configured ${elapsed.toFixed(0)} ms after carrier came:\n` +
          client.output(),
      );
    } finally {
      await client.stop();
    }
  },
});

Deno.test({
  name: "a running client gives up its lease on carrier loss and takes it " +
    "again, with the default route, when carrier returns",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create({ interfaces: 2 });
    const client = lab.spawnClient([
      "--resolv-conf",
      "none",
      "--state-dir",
      "none",
      "eth0",
      "eth1",
    ]);
    try {
      await client.waitFor(READY, 15_000);
      assert.ok(await defaultRouteOn(lab, "eth0"));
      // The far end going down takes eth0's carrier, not its UP flag.
      await lab.linkDown(0, "server");
      await client.waitFor(/eth0: link down/, 5_000);
      await waitUntil(
        () => defaultRouteOn(lab, "eth1"),
        1_000,
        () => `eth1 did not take the default route:\n${client.output()}`,
      );
      assert.deepEqual(await lab.addresses("eth0"), []);
      await lab.linkUp(0, "server");
      // The same process, not a restart, gets the lease and the route back.
      await waitUntil(
        async () =>
          (await lab.addresses("eth0")).length === 1 &&
          await defaultRouteOn(lab, "eth0"),
        15_000,
        () => `eth0 was not configured again:\n${client.output()}`,
      );
      assert.equal(client.exited, false);
    } finally {
      await client.stop();
    }
  },
});
