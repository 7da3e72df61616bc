import assert from "node:assert/strict";
import {
  checkLeaseTimes,
  encodeClasslessRoutes,
  encodeDomainSearch,
  MIN_LEASE_TIME,
  SERVER_KINDS,
  serverLaunch,
  type ServerSettings,
} from "../../lib/lab/dhcp_server.ts";

const settings: ServerSettings = {
  kind: "dnsmasq",
  interface: "srv0",
  serverAddress: "198.18.0.1",
  network: "198.18.0.0",
  prefix: 24,
  poolStart: "198.18.0.100",
  poolEnd: "198.18.0.199",
  router: "198.18.0.1",
  dns: "198.18.0.53",
  leaseTime: 600,
  directory: "/nonexistent",
};

Deno.test("encodeDomainSearch() writes uncompressed RFC 1035 names", () => {
  assert.deepEqual(
    Array.from(encodeDomainSearch(["eng.example.com", "lab."])),
    [
      // 3 "eng" 7 "example" 3 "com" 0
      3,
      0x65,
      0x6e,
      0x67,
      7,
      0x65,
      0x78,
      0x61,
      0x6d,
      0x70,
      0x6c,
      0x65,
      3,
      0x63,
      0x6f,
      0x6d,
      0,
      // 3 "lab" 0; the trailing dot adds nothing
      3,
      0x6c,
      0x61,
      0x62,
      0,
    ],
  );
  assert.throws(() => encodeDomainSearch(["a..b"]), RangeError);
  assert.throws(() => encodeDomainSearch(["x".repeat(64)]), RangeError);
});

Deno.test("encodeClasslessRoutes() keeps only the significant octets", () => {
  assert.deepEqual(
    Array.from(encodeClasslessRoutes([
      { destination: "0.0.0.0", prefix: 0, gateway: "198.18.0.1" },
      { destination: "10.0.0.0", prefix: 8, gateway: "198.18.0.2" },
      { destination: "10.17.0.0", prefix: 17, gateway: "198.18.0.3" },
    ])),
    [
      0,
      198,
      18,
      0,
      1,
      8,
      10,
      198,
      18,
      0,
      2,
      17,
      10,
      17,
      0,
      198,
      18,
      0,
      3,
    ],
  );
  assert.throws(
    () =>
      encodeClasslessRoutes([{
        destination: "10.0.0.0",
        prefix: 33,
        gateway: "198.18.0.1",
      }]),
    RangeError,
  );
});

Deno.test(
  "checkLeaseTimes() enforces each server's minimum and T1 <= " +
    "T2 <= lease",
  async (t) => {
    await t.step("dnsmasq refuses less than 120 s", () => {
      assert.equal(MIN_LEASE_TIME.dnsmasq, 120);
      assert.throws(
        () => checkLeaseTimes("dnsmasq", { leaseTime: 119 }),
        /at least 120 seconds for dnsmasq, got 119/,
      );
      checkLeaseTimes("dnsmasq", { leaseTime: 120 });
    });
    for (const kind of SERVER_KINDS) {
      await t.step(`${kind} accepts its minimum`, () => {
        checkLeaseTimes(kind, { leaseTime: MIN_LEASE_TIME[kind] });
      });
    }
    const bad: [string, Parameters<typeof checkLeaseTimes>[1]][] = [
      ["zero lease", { leaseTime: 0 }],
      ["fractional lease", { leaseTime: 600.5 }],
      ["T2 beyond lease", { leaseTime: 600, rebindingTime: 601 }],
      ["T1 beyond T2", {
        leaseTime: 600,
        renewalTime: 500,
        rebindingTime: 400,
      }],
      ["T1 beyond lease", { leaseTime: 600, renewalTime: 700 }],
    ];
    for (const [name, times] of bad) {
      await t.step(`kea refuses ${name}`, () => {
        assert.throws(() => checkLeaseTimes("kea", times), RangeError);
      });
    }
  },
);

Deno.test(
  "serverLaunch() gives dnsmasq the options it must not default",
  () => {
    const { router: _, ...withoutRouter } = settings;
    const launch = serverLaunch({
      ...withoutRouter,
      renewalTime: 100,
      domainSearch: ["a.test", "b.test"],
      classlessRoutes: [{
        destination: "10.0.0.0",
        prefix: 8,
        gateway: "198.18.0.1",
      }],
    });
    const argv = launch.argv;
    for (
      const expected of [
        "--no-ping",
        "--port=0",
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--dhcp-authoritative",
        "--dhcp-leasefile=/nonexistent/dnsmasq.leases",
        "--dhcp-range=198.18.0.100,198.18.0.199,255.255.255.0,600",
        "--dhcp-option=option:router",
        "--dhcp-option=option:dns-server,198.18.0.53",
        "--dhcp-option=option:T1,100",
        "--dhcp-option=option:domain-search,a.test,b.test",
        "--dhcp-option=option:classless-static-route,10.0.0.0/8,198.18.0.1",
      ]
    ) {
      assert.ok(argv.includes(expected), `${expected} missing from ${argv}`);
    }
    assert.equal(launch.leaseFile, "/nonexistent/dnsmasq.leases");
  },
);

Deno.test(
  "serverLaunch() gives Kea raw sockets and its own pid " +
    "directory",
  () => {
    const launch = serverLaunch({ ...settings, kind: "kea", leaseTime: 60 });
    assert.deepEqual(launch.argv, [
      "kea-dhcp4",
      "-c",
      "/nonexistent/kea-dhcp4.json",
    ]);
    assert.equal(launch.env.KEA_PIDFILE_DIR, "/nonexistent");
    const [file] = launch.files;
    assert.ok(file !== undefined);
    const config = JSON.parse(file.content);
    assert.equal(config.Dhcp4["interfaces-config"]["dhcp-socket-type"], "raw");
    assert.equal(config.Dhcp4["valid-lifetime"], 60);
    assert.equal(config.Dhcp4["renew-timer"], 30);
    assert.equal(config.Dhcp4["rebind-timer"], 52);
    assert.equal(config.Dhcp4["lease-database"].name, launch.leaseFile);
  },
);

Deno.test("serverLaunch() writes udhcpd T1 and T2 as hex options", () => {
  const launch = serverLaunch({
    ...settings,
    kind: "udhcpd",
    leaseTime: 30,
    renewalTime: 10,
    rebindingTime: 20,
  });
  const content = launch.files[0]?.content ?? "";
  assert.match(content, /^min_lease 30$/m);
  assert.match(content, /^option lease 30$/m);
  assert.match(content, /^option 0x3a 0000000a$/m);
  assert.match(content, /^option 0x3b 00000014$/m);
  assert.deepEqual(launch.argv.slice(0, 4), ["udhcpd", "-f", "-a", "0"]);
});

Deno.test("serverLaunch() refuses a lease the server cannot give", () => {
  assert.throws(
    () => serverLaunch({ ...settings, leaseTime: 60 }),
    RangeError,
  );
});
