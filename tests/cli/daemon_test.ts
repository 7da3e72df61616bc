/**
 * End-to-end behaviour people script against: one-shot exit codes,
 * readiness, JSON events, resolv.conf, restarts with INIT-REBOOT, a second
 * instance refused, the status/renew/release subcommands, signals and dry
 * runs.
 */

import assert from "node:assert/strict";
import { Lab } from "../../lib/lab/lab.ts";
import type { LabProcess } from "../../lib/lab/lab_process.ts";
import { waitUntil } from "./_wait.ts";

const CONFIGURED = /ready: .* configured/;

function stdoutOf(process: LabProcess): string[] {
  return process.lines("stdout").map((line) => line.text);
}

async function sh(argv: string[]): Promise<void> {
  const [program, ...args] = argv;
  const output = await new Deno.Command(program!, { args, stderr: "piped" })
    .output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "ocidhcp-test-" });
}

Deno.test({
  name: "--one-shot exits 0 once configured and leaves the configuration",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create({ interfaces: 2 });
    const dir = await tempDir();
    try {
      const client = lab.spawnClient([
        "--one-shot",
        "--state-dir",
        dir,
        "--resolv-conf",
        `${dir}/resolv.conf`,
        "eth0",
        "eth1",
      ]);
      const status = await client.status;
      assert.equal(status.code, 0, client.output());
      assert.equal((await lab.addresses("eth0")).length, 1);
      assert.equal((await lab.addresses("eth1")).length, 1);
      const defaults = (await lab.routes()).filter((r) =>
        r.destination === "default"
      );
      assert.deepEqual(defaults.map((r) => r.device), ["eth0"]);
      const resolv = await Deno.readTextFile(`${dir}/resolv.conf`);
      assert.match(resolv, /^nameserver 198\.18\.0\.53$/m);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "--one-shot exits 1 when no lease comes within the timeout",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create();
    await lab.stopServer(0);
    const client = lab.spawnClient([
      "--one-shot",
      "--timeout",
      "2",
      "--state-dir",
      "none",
      "--resolv-conf",
      "none",
      "eth0",
    ]);
    const status = await client.status;
    assert.equal(status.code, 1);
    assert.match(client.output(), /error: no lease within 2 s on eth0/);
  },
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test({
    name: `--one-shot exits 1 when ${signal} comes before every lease`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await using lab = await Lab.create({ interfaces: 2 });
      await lab.stopServer(1);
      const client = lab.spawnClient([
        "--one-shot",
        "--events",
        "--log-level",
        "debug",
        "--state-dir",
        "none",
        "--resolv-conf",
        "none",
        "eth0",
        "eth1",
      ]);
      // eth0 configured (its event follows the configuration), eth1 still
      // asking: the signal listeners are in place.
      await client.waitFor(/"event":"bound".*"interface":"eth0"/, 15_000);
      await client.waitFor(/eth1: sending DHCPDISCOVER/, 15_000);
      client.signal(signal);
      const status = await client.status;
      assert.equal(status.code, 1, client.output());
      assert.match(
        client.output(),
        /error: interrupted before eth1 was configured$/m,
      );
    },
  });
}

Deno.test({
  name: "a daemon writes its ready file, JSON events and a resolv.conf from " +
    "two leases in place",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create({
      interfaces: 2,
      domainSearch: ["corp.example", "example"],
    });
    const dir = await tempDir();
    // As a container runtime does, resolv.conf is a bind mount of a file
    // kept elsewhere, so it must be rewritten in place.
    const source = `${dir}/runtime-resolv.conf`;
    const resolvConf = `${dir}/resolv.conf`;
    await Deno.writeTextFile(source, "nameserver 192.0.2.99\n");
    await Deno.writeTextFile(resolvConf, "");
    // In this mount namespace: `ip netns exec` gives each command a copy of
    // it, so the client sees the mount.
    await sh(["mount", "--bind", source, resolvConf]);
    const inode = (await Deno.stat(resolvConf)).ino;
    try {
      const client = lab.spawnClient([
        "--events",
        "--ready-file",
        `${dir}/ready`,
        "--resolv-conf",
        resolvConf,
        "--state-dir",
        "none",
        "eth1",
        "eth0",
      ]);
      await client.waitFor(CONFIGURED, 15_000);
      await waitUntil(
        async () =>
          await Deno.stat(`${dir}/ready`).then(() => true, () => false),
        2_000,
        () => `no ready file:\n${client.output()}`,
      );
      // The event is printed before the file is written, but the pipe to
      // this test may deliver it later.
      await client.waitFor(/"event":"ready"/, 2_000);
      const events = stdoutOf(client).map((line) => JSON.parse(line));
      const bound = events.filter((event) => event.event === "bound");
      assert.deepEqual(
        bound.map((event) => event.interface).sort(),
        ["eth0", "eth1"],
      );
      assert.match(bound[0].lease.address, /^198\.18\.[01]\.1\d\d$/);
      assert.equal(bound[0].lease.prefix, 24);
      assert.ok(events.some((event) => event.event === "ready"));
      assert.ok(
        events.some((event) =>
          event.event === "default-route" && event.owner === "eth0"
        ),
      );
      const resolv = await Deno.readTextFile(resolvConf);
      // The default-route owner's nameserver first, both present.
      const servers = [...resolv.matchAll(/^nameserver (\S+)$/gm)]
        .map((m) => m[1]);
      assert.deepEqual(servers, ["198.18.0.53", "198.18.1.53"]);
      assert.match(resolv, /^search corp\.example example$/m);
      assert.equal((await Deno.stat(resolvConf)).ino, inode);
      assert.equal(await Deno.readTextFile(source), resolv);

      // Releasing every lease restores the original file, same inode.
      client.signal("SIGUSR2");
      await waitUntil(
        async () =>
          (await Deno.readTextFile(resolvConf)) === "nameserver 192.0.2.99\n",
        5_000,
        () => `resolv.conf not restored:\n${client.output()}`,
      );
      assert.equal((await Deno.stat(resolvConf)).ino, inode);
      await client.stop();
    } finally {
      await sh(["umount", resolvConf]);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a restart asks for the same address with INIT-REBOOT, no DISCOVER",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create();
    const dir = await tempDir();
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
      await first.waitFor(CONFIGURED, 15_000);
      const address = (await lab.addresses("eth0"))[0]?.address;
      await first.stop();
      const second = lab.spawnClient(args);
      await second.waitFor(CONFIGURED, 15_000);
      assert.equal((await lab.addresses("eth0"))[0]?.address, address);
      assert.doesNotMatch(second.output(), /sending DHCPDISCOVER/);
      assert.match(second.output(), /INIT -> REBOOTING/);
      await second.stop();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// udhcpd, like dnsmasq, refuses an INIT-REBOOT for an address outside its
// pool; kea stays silent, and the npm package never sends a DHCPNAK.
for (const server of ["dnsmasq", "udhcpd"] as const) {
  Deno.test({
    name: "a restart whose address is refused by DHCPNAK removes the old " +
      `address and routes and keeps only the new lease (${server})`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await using lab = await Lab.create({
        server,
        classlessRoutes: [
          { destination: "10.55.0.0", prefix: 16, gateway: "198.18.0.1" },
          { destination: "0.0.0.0", prefix: 0, gateway: "198.18.0.1" },
        ],
      });
      const dir = await tempDir();
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
        await first.waitFor(CONFIGURED, 15_000);
        const old = (await lab.addresses("eth0"))[0]?.address;
        assert.match(old ?? "", /^198\.18\.0\.1\d\d$/);
        // SIGTERM without --release leaves the address and routes in place.
        assert.equal((await first.stop()).code, 0, first.output());
        assert.equal((await lab.addresses("eth0"))[0]?.address, old);
        // The old address is outside the new pool, so the server refuses it.
        await lab.reconfigureServer(0, {
          poolStart: "198.18.0.200",
          poolEnd: "198.18.0.210",
          classlessRoutes: [
            { destination: "10.66.0.0", prefix: 16, gateway: "198.18.0.1" },
            { destination: "0.0.0.0", prefix: 0, gateway: "198.18.0.2" },
          ],
        });
        const second = lab.spawnClient(args);
        await second.waitFor(CONFIGURED, 20_000);
        assert.match(second.output(), /DHCPNAK/);
        const addresses = await lab.addresses("eth0");
        assert.equal(addresses.length, 1, JSON.stringify(addresses));
        assert.match(addresses[0]?.address ?? "", /^198\.18\.0\.2(0\d|10)$/);
        const routes = await lab.routes();
        const text = JSON.stringify(routes);
        const defaults = routes.filter((r) => r.destination === "default");
        assert.equal(defaults.length, 1, text);
        assert.equal(defaults[0]?.gateway, "198.18.0.2", text);
        assert.ok(routes.some((r) => r.destination === "10.66.0.0/16"), text);
        assert.ok(!routes.some((r) => r.destination === "10.55.0.0/16"), text);
        assert.ok(!routes.some((r) => r.source === old), text);
        await second.stop();
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "a second client for the same interface is refused, naming the first",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create();
    const first = lab.spawnClient(["--state-dir", "none", "eth0"]);
    await first.waitFor(CONFIGURED, 15_000);
    const second = lab.spawnClient(["--state-dir", "none", "eth0"]);
    const status = await second.status;
    assert.equal(status.code, 1);
    assert.match(second.output(), new RegExp(`error: .*${first.pid}`));
    await first.stop();
  },
});

Deno.test({
  name: "status, renew and release reach a running client",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create({ interfaces: 2 });
    const client = lab.spawnClient(["--state-dir", "none", "eth0", "eth1"]);
    await client.waitFor(CONFIGURED, 15_000);

    const status = lab.spawnClient(["status", "--json"]);
    assert.equal((await status.status).code, 0, status.output());
    const report = JSON.parse(stdoutOf(status).join("\n"));
    const eth0 = report.interfaces.find((i: { interface: string }) =>
      i.interface === "eth0"
    );
    assert.equal(eth0.state, "BOUND");
    assert.equal(eth0.defaultRouteOwner, true);
    assert.equal(eth0.pid, client.pid);
    assert.equal(eth0.stale, false);

    const renew = lab.spawnClient(["renew", "eth1"]);
    assert.equal((await renew.status).code, 0, renew.output());
    await client.waitFor(/eth1: renewing/, 5_000);
    assert.doesNotMatch(client.output(), /eth0: renewing/);

    const release = lab.spawnClient(["release", "eth0"]);
    assert.equal((await release.status).code, 0, release.output());
    await client.waitFor(/eth0: releasing/, 5_000);
    await waitUntil(
      async () => (await lab.addresses("eth0")).length === 0,
      5_000,
      () => client.output(),
    );
    assert.equal((await lab.addresses("eth1")).length, 1);

    // A plain SIGUSR1 renews every interface, as with udhcpc.
    client.signal("SIGUSR1");
    await waitUntil(
      () => (client.output().match(/eth1: renewing/g) ?? []).length >= 2,
      5_000,
      () => client.output(),
    );
    await client.stop();

    const bad = lab.spawnClient(["renew", "--bogus", "eth0"]);
    assert.equal((await bad.status).code, 2);
  },
});

Deno.test({
  name: "--dry-run acquires a lease but changes nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create();
    const dir = await tempDir();
    try {
      const client = lab.spawnClient([
        "--dry-run",
        "--resolv-conf",
        `${dir}/resolv.conf`,
        "eth0",
      ]);
      await client.waitFor(CONFIGURED, 15_000);
      const printed = stdoutOf(client).join("\n");
      assert.match(
        printed,
        /would run: ip -4 addr replace 198\.18\.0\.\d+\/24/,
      );
      assert.match(printed, /would run: ip -4 route replace default via/);
      assert.match(printed, /would write: .*resolv\.conf/);
      assert.deepEqual(await lab.addresses("eth0"), []);
      assert.deepEqual(
        (await lab.routes()).filter((r) => r.destination === "default"),
        [],
      );
      assert.equal(
        await Deno.stat(`${dir}/resolv.conf`).then(() => true, () => false),
        false,
      );
      await client.stop();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "--dry-run removes its runtime directory when it cannot start",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create();
    // The dry run's runtime directory is made under TMPDIR.
    const dir = await tempDir();
    try {
      const client = lab.spawnClient([
        "--dry-run",
        "--resolv-conf",
        "none",
        "nosuch0",
      ], { env: { TMPDIR: dir } });
      const status = await client.status;
      assert.equal(status.code, 1, client.output());
      assert.match(client.output(), /error: .*nosuch0/);
      const left = await Array.fromAsync(Deno.readDir(dir));
      assert.deepEqual(left.map((entry) => entry.name), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** The processes left in the lab's client namespace. */
async function pidsIn(namespace: string): Promise<string[]> {
  const output = await new Deno.Command("ip", {
    args: ["netns", "pids", namespace],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(output.stdout).split("\n")
    .filter((line) => line.trim() !== "");
}

Deno.test({
  name: "no child process outlives the client, one-shot or stopped daemon",
  ignore: Deno.env.get("OCIDHCP_BIN") !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using lab = await Lab.create({ interfaces: 2 });
    const dir = await tempDir();
    try {
      await t.step("one-shot", async () => {
        const client = lab.spawnClient([
          "--one-shot",
          "--resolv-conf",
          "none",
          "eth0",
          "eth1",
        ]);
        assert.equal((await client.status).code, 0, client.output());
        assert.deepEqual(await pidsIn(lab.clientNamespace), []);
      });
      await t.step("daemon stopped while a hook hangs", async () => {
        const hook = `${dir}/hook`;
        await Deno.writeTextFile(hook, "#!/bin/sh\nexec sleep 600\n");
        await Deno.chmod(hook, 0o755);
        const client = lab.spawnClient([
          "--resolv-conf",
          "none",
          "--release",
          "-s",
          hook,
          "--script-timeout",
          "2",
          "eth0",
          "eth1",
        ], { allowRun: [hook] });
        await client.waitFor(CONFIGURED, 15_000);
        // The ip monitor child and the hanging hooks are running now.
        assert.ok((await pidsIn(lab.clientNamespace)).length > 1);
        client.signal("SIGTERM");
        assert.equal((await client.status).code, 0, client.output());
        assert.deepEqual(await pidsIn(lab.clientNamespace), []);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
