import assert from "node:assert/strict";
import { CLIENT_FLAGS } from "../../lib/process/client_flags.ts";
import { CommandFailedError } from "../../lib/process/command.ts";
import { Lab, type ServerKind } from "../../lib/lab/lab.ts";
import { listNamespaces } from "../../lib/lab/netns.ts";

async function labNamespaces(prefix: string): Promise<string[]> {
  return (await listNamespaces()).filter((name) => name.startsWith(prefix));
}

function ownNamespaces(): Promise<string[]> {
  return labNamespaces(`ocidhcp-${Deno.pid}-`);
}

/** Runs udhcpc once on an interface and returns the address it got. */
async function udhcpcLease(lab: Lab, name: string): Promise<string> {
  const result = await lab.run([
    "udhcpc",
    "-f",
    "-q",
    "-n",
    "-t",
    "3",
    "-T",
    "1",
    "-i",
    name,
    // The script prints the lease instead of configuring anything.
    "-s",
    await leaseScript(),
  ]);
  const ip = /^ip=(\S+)$/m.exec(result.stdout)?.[1];
  assert.ok(
    result.code === 0 && ip !== undefined,
    `udhcpc failed (${result.code}):\n${result.stdout}\n${result.stderr}`,
  );
  return ip;
}

let script: string | undefined;
async function leaseScript(): Promise<string> {
  if (script === undefined) {
    script = await Deno.makeTempFile({ prefix: "ocidhcp-t-script-" });
    await Deno.writeTextFile(
      script,
      '#!/bin/sh\n[ "$1" = bound ] && env | sort\nexit 0\n',
    );
    await Deno.chmod(script, 0o755);
    const path = script;
    globalThis.addEventListener("unload", () => Deno.removeSync(path));
  }
  return script;
}

Deno.test(
  "Lab.create() builds links with the planned addresses and " +
    "disposal removes every namespace",
  async (t) => {
    for (const count of [1, 3]) {
      await t.step(`${count} link(s)`, async () => {
        let id = "";
        {
          await using lab = await Lab.create({ interfaces: count });
          id = lab.id;
          assert.match(id, new RegExp(`^ocidhcp-${Deno.pid}-[0-9]+$`));
          assert.equal(lab.links.length, count);
          const names = await labNamespaces(`${id}-`);
          assert.equal(names.length, count + 1);
          assert.ok(names.includes(lab.clientNamespace));
          for (const [i, link] of lab.links.entries()) {
            assert.equal(link.name, `eth${i}`);
            assert.equal(link.serverAddress, `198.18.${i}.1`);
            assert.equal(link.poolStart, `198.18.${i}.100`);
            assert.equal(link.dns, `198.18.${i}.53`);
            assert.ok(names.includes(link.serverNamespace));
          }
          const links = JSON.parse(
            (await lab.run(["ip", "-j", "link", "show", "eth0"])).stdout,
          ) as { operstate: string; link_index: number }[];
          // The server end carries a high ifindex, and carrier is up at once.
          assert.equal(links[0]?.link_index, 10000);
          assert.equal(links[0]?.operstate, "UP");
          // Closing early is allowed; the disposal at the block's end then
          // does nothing.
          await lab.close();
          await lab.close();
        }
        assert.deepEqual(await labNamespaces(`${id}-`), []);
      });
    }
  },
);

Deno.test(
  "Lab.create() validates options before touching the system",
  async (t) => {
    const before = await ownNamespaces();
    await t.step("dnsmasq lease below 120 s", async () => {
      await assert.rejects(
        Lab.create({ server: "dnsmasq", leaseTime: 60 }),
        RangeError,
      );
    });
    await t.step("interface count", async () => {
      await assert.rejects(Lab.create({ interfaces: 0 }), RangeError);
    });
    await t.step("duplicate names", async () => {
      await assert.rejects(
        Lab.create({ interfaces: ["eth0", "eth0"] }),
        TypeError,
      );
    });
    await t.step("server kind", async () => {
      await assert.rejects(
        Lab.create({ server: "dhcpd" as ServerKind }),
        TypeError,
      );
    });
    assert.deepEqual(await ownNamespaces(), before);
  },
);

Deno.test(
  "Lab.create() removes its partial state when a step fails",
  async () => {
    const before = await ownNamespaces();
    // The kernel refuses ".." as an interface name, after the client
    // namespace and the first link exist.
    await assert.rejects(
      Lab.create({ interfaces: ["eth0", ".."] }),
      CommandFailedError,
    );
    assert.deepEqual(await ownNamespaces(), before);
  },
);

Deno.test(
  "Lab cleans up when a test fails inside its using block",
  async () => {
    let id = "";
    await assert.rejects(async () => {
      await using lab = await Lab.create();
      id = lab.id;
      lab.spawn(["sleep", "30"]);
      throw new Error("test failure");
    }, /test failure/);
    assert.notEqual(id, "");
    assert.deepEqual(await labNamespaces(`${id}-`), []);
  },
);

for (const server of ["dnsmasq", "kea", "udhcpd", "npm-dhcp"] as const) {
  Deno.test(
    `${server} leases to udhcpc and remembers the lease across a ` +
      `restart`,
    async () => {
      await using lab = await Lab.create({
        server,
        interfaces: 2,
        domainSearch: ["lab.test"],
        classlessRoutes: [{
          destination: "10.0.0.0",
          prefix: 8,
          gateway: "198.18.0.1",
        }],
      });
      const address = await udhcpcLease(lab, "eth1");
      assert.match(address, /^198\.18\.1\.1[0-9][0-9]$/);
      const mac = JSON.parse(
        (await lab.run(["ip", "-j", "link", "show", "eth1"])).stdout,
      )[0].address;
      const expected = { address, hardwareAddress: mac };
      const leases = await lab.serverLeases(1);
      assert.deepEqual(
        leases.map(({ address, hardwareAddress }) => ({
          address,
          hardwareAddress,
        })),
        [expected],
      );
      const now = Date.now() / 1000;
      const expires = leases[0]?.expires ?? 0;
      assert.ok(Math.abs(expires - (now + 3600)) < 10, `expires ${expires}`);
      assert.deepEqual(await lab.serverLeases(0), []);

      await lab.stopServer(1);
      await lab.startServer(1);
      assert.deepEqual(
        (await lab.serverLeases(1)).map((lease) => lease.address),
        [address],
      );
      // The restarted server gives the same client the same address.
      assert.equal(await udhcpcLease(lab, "eth1"), address);
    },
  );
}

Deno.test("Lab passes the configured options to the client", async () => {
  await using lab = await Lab.create({
    server: "kea",
    router: false,
    leaseTime: 300,
    renewalTime: 100,
    rebindingTime: 200,
    domainName: "lab.test",
    domainSearch: ["a.lab.test", "b.lab.test"],
  });
  const result = await lab.run([
    "udhcpc",
    "-f",
    "-q",
    "-n",
    "-i",
    "eth0",
    "-O",
    "search",
    "-s",
    await leaseScript(),
  ]);
  assert.equal(result.code, 0, result.stderr);
  const env = result.stdout;
  assert.doesNotMatch(env, /^router=/m);
  assert.match(env, /^dns=198\.18\.0\.53$/m);
  assert.match(env, /^lease=300$/m);
  assert.match(env, /^opt58=00000064$/m);
  assert.match(env, /^opt59=000000c8$/m);
  assert.match(env, /^domain=lab\.test$/m);
  assert.match(env, /^search=a\.lab\.test b\.lab\.test$/m);
});

Deno.test(
  "Lab.reconfigureServer() moves the pool and keeps serving",
  async () => {
    await using lab = await Lab.create();
    const first = await udhcpcLease(lab, "eth0");
    assert.match(first, /^198\.18\.0\.1[0-9][0-9]$/);
    await lab.reconfigureServer(0, {
      poolStart: "198.18.0.200",
      poolEnd: "198.18.0.210",
    });
    assert.equal(lab.links[0]?.poolStart, "198.18.0.200");
    const second = await udhcpcLease(lab, "eth0");
    assert.match(second, /^198\.18\.0\.2(0[0-9]|10)$/);
    await assert.rejects(
      lab.reconfigureServer(0, { leaseTime: 10 }),
      RangeError,
    );
  },
);

Deno.test("Lab reports client addresses, routes and carrier", async () => {
  await using lab = await Lab.create();
  await lab.run([
    "ip",
    "addr",
    "add",
    "198.18.0.150/24",
    "dev",
    "eth0",
    "valid_lft",
    "600",
    "preferred_lft",
    "300",
  ]);
  await lab.run([
    "ip",
    "route",
    "add",
    "default",
    "via",
    "198.18.0.1",
    "proto",
    "dhcp",
    "metric",
    "5",
  ]);
  const [address] = await lab.addresses("eth0");
  assert.equal(address?.address, "198.18.0.150");
  assert.equal(address?.prefix, 24);
  assert.ok((address?.validLifetime ?? 0) > 590);
  assert.ok((address?.preferredLifetime ?? 0) <= 300);
  const routes = await lab.routes();
  assert.deepEqual(routes.find((route) => route.destination === "default"), {
    destination: "default",
    gateway: "198.18.0.1",
    device: "eth0",
    protocol: "dhcp",
    metric: 5,
  });
  assert.ok(routes.some((route) => route.destination === "198.18.0.0/24"));

  const flags = async (): Promise<string[]> =>
    JSON.parse((await lab.run(["ip", "-j", "link", "show", "eth0"])).stdout)[0]
      .flags;
  assert.ok((await flags()).includes("LOWER_UP"));
  await lab.linkDown(0);
  assert.ok((await flags()).includes("NO-CARRIER"));
  assert.ok((await flags()).includes("UP"));
  await lab.linkUp(0);
  assert.ok((await flags()).includes("LOWER_UP"));
  await lab.linkDown(0, "client");
  assert.ok(!(await flags()).includes("UP"));
});

Deno.test("Lab.spawnClient() runs cli/main.ts with the client's flags", async () => {
  await using lab = await Lab.create();
  const client = lab.spawnClient(["--version"]);
  assert.equal((await client.status).code, 0, client.output());
  const run = client.argv.indexOf("run");
  assert.ok(run > 0, client.argv.join(" "));
  assert.deepEqual(
    client.argv.slice(run + 1, run + 1 + CLIENT_FLAGS.length),
    CLIENT_FLAGS,
  );
  assert.match(client.argv.join(" "), /cli\/main\.ts --version/);
});

Deno.test(
  "Lab.spawnClient() runs $OCIDHCP_BIN in the client namespace",
  async () => {
    const previous = Deno.env.get("OCIDHCP_BIN");
    Deno.env.set("OCIDHCP_BIN", "/bin/sh");
    try {
      await using lab = await Lab.create();
      const client = lab.spawnClient(["-c", "ip -o link show eth0; sleep 30"]);
      assert.match(await client.waitFor(/eth0/, 5000), /^[0-9]+: eth0@/);
      const status = await client.stop();
      assert.equal(status.signal, "SIGTERM");
    } finally {
      if (previous === undefined) Deno.env.delete("OCIDHCP_BIN");
      else Deno.env.set("OCIDHCP_BIN", previous);
    }
  },
);

Deno.test(
  "Lab.reconfigureServer() makes dnsmasq and udhcpd NAK an " +
    "address outside the new pool",
  async (t) => {
    for (const server of ["dnsmasq", "udhcpd"] as const) {
      await t.step(server, async () => {
        await using lab = await Lab.create({ server });
        const directory = await Deno.makeTempDir({ prefix: "ocidhcp-t-" });
        try {
          // dhclient keeps its lease in a file and, started again, asks for
          // the same address first (INIT-REBOOT).
          const argv = [
            "dhclient",
            "-d",
            "-v",
            "-sf",
            "/bin/true",
            "-lf",
            `${directory}/leases`,
            "-pf",
            `${directory}/pid`,
            "eth0",
          ];
          const first = lab.spawn(argv);
          const bound = await first.waitFor(/^bound to /, 10000);
          await first.stop();
          const old = /bound to (\S+)/.exec(bound)?.[1];
          assert.match(old ?? "", /^198\.18\.0\.1[0-9][0-9]$/);
          await lab.reconfigureServer(0, {
            poolStart: "198.18.0.200",
            poolEnd: "198.18.0.210",
          });
          const second = lab.spawn(argv);
          await second.waitFor(/^DHCPNAK from 198\.18\.0\.1/, 10000);
          assert.match(
            await second.waitFor(/^bound to /, 20000),
            /^bound to 198\.18\.0\.2(0[0-9]|10) /,
          );
          await second.stop();
        } finally {
          await Deno.remove(directory, { recursive: true });
        }
      });
    }
  },
);

Deno.test({
  name: "a lab gives its client namespace a resolv.conf of its own",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const host = await Deno.readTextFile("/etc/resolv.conf");
    const lab = await Lab.create();
    const own = `/etc/netns/${lab.clientNamespace}/resolv.conf`;
    try {
      await lab.run([
        "sh",
        "-c",
        "echo nameserver 198.18.0.53 > /etc/resolv.conf",
      ]);
      assert.equal(await Deno.readTextFile(own), "nameserver 198.18.0.53\n");
      assert.equal(await Deno.readTextFile("/etc/resolv.conf"), host);
    } finally {
      await lab.close();
    }
    await assert.rejects(Deno.stat(own), Deno.errors.NotFound);
  },
});
