import assert from "node:assert/strict";
import type { Lease } from "../../lib/client/lease.ts";
import { OptionCode } from "../../lib/dhcp/constants.ts";
import {
  encodeIpv4List,
  encodeText,
  encodeUint16,
  encodeUint32,
  encodeUint8,
} from "../../lib/dhcp/option_values.ts";
import {
  DEFAULT_HOOK_PATH,
  hookEnvironment,
} from "../../lib/hooks/hook_environment.ts";
import { HOSTILE_NAMES, realisticLease } from "./_fixtures.ts";

const PATH = "/usr/bin:/bin";

Deno.test(
  "hookEnvironment() gives a lease udhcpc's variable names and formats",
  () => {
    const lease = realisticLease();
    const { env, rejected } = hookEnvironment({
      event: "bound",
      interface: "eth0",
      lease,
      defaultRouteOwner: "eth0",
      path: PATH,
    });
    assert.deepEqual(rejected, []);
    const json = JSON.parse(env.OCIDHCP_LEASE_JSON ?? "");
    delete env.OCIDHCP_LEASE_JSON;
    assert.deepEqual(env, {
      PATH,
      interface: "eth0",
      ip: "198.18.0.142",
      subnet: "255.255.255.0",
      mask: "24",
      broadcast: "198.18.0.255",
      router: "198.18.0.1 198.18.0.2",
      dns: "198.18.0.53 9.9.9.9",
      domain: "lab.example",
      search: "a.example b.example",
      hostname: "web-1",
      lease: "3600",
      serverid: "198.18.0.1",
      mtu: "1400",
      staticroutes: "10.0.0.0/8 198.18.0.1 0.0.0.0/0 198.18.0.2",
      opt53: "05",
      opt58: "00000258",
      opt59: "000003e8",
      OCIDHCP_EVENT: "bound",
      OCIDHCP_INTERFACE: "eth0",
      OCIDHCP_DEFAULT_ROUTE_OWNER: "eth0",
      OCIDHCP_T1: "600",
      OCIDHCP_T2: "1000",
    });
    assert.deepEqual(json, {
      interface: "eth0",
      address: "198.18.0.142",
      prefix: 24,
      subnetMask: "255.255.255.0",
      serverIdentifier: "198.18.0.1",
      routers: ["198.18.0.1", "198.18.0.2"],
      domainNameServers: ["198.18.0.53", "9.9.9.9"],
      domainName: "lab.example",
      domainSearch: ["a.example", "b.example"],
      hostName: "web-1",
      classlessStaticRoutes: [
        { destination: "10.0.0.0", prefix: 8, gateway: "198.18.0.1" },
        { destination: "0.0.0.0", prefix: 0, gateway: "198.18.0.2" },
      ],
      interfaceMtu: 1400,
      broadcastAddress: "198.18.0.255",
      leaseTime: 3600,
      renewalTime: 600,
      rebindingTime: 1000,
    });
  },
);

Deno.test(
  "hookEnvironment() formats the other options udhcpc names as it does",
  async (t) => {
    const cases: Array<[string, number, Uint8Array, string]> = [
      ["timezone", 2, encodeUint32(0xffff_f1f0), "-3600"],
      [
        "ntpsrv",
        42,
        encodeIpv4List(["192.0.2.1", "192.0.2.2"]),
        "192.0.2.1 192.0.2.2",
      ],
      ["swapsrv", 16, encodeIpv4List(["192.0.2.9"]), "192.0.2.9"],
      [
        "routes",
        33,
        encodeIpv4List(["10.1.0.0", "198.18.0.1", "10.2.0.0", "198.18.0.2"]),
        "10.1.0.0/198.18.0.1 10.2.0.0/198.18.0.2",
      ],
      ["ipttl", 23, encodeUint8(64), "64"],
      ["vlanid", 132, encodeUint16(100), "100"],
      ["reboottime", 211, encodeUint32(30), "30"],
      ["tftp", 66, encodeText("tftp.example"), "tftp.example"],
      ["bootfile", 67, encodeText("pxelinux.0\0"), "pxelinux.0"],
      ["message", 56, encodeText("hello there"), "hello there"],
      ["opt224", 224, new Uint8Array([0, 0xab, 0x10]), "00ab10"],
      ["opt249", 249, new Uint8Array([8, 10, 198, 18, 0, 1]), "080ac6120001"],
    ];
    for (const [name, code, value, expected] of cases) {
      await t.step(`option ${code} as ${name}=${expected}`, () => {
        const { env, rejected } = hookEnvironment({
          event: "renew",
          interface: "eth0",
          lease: realisticLease([[code, value]]),
          path: PATH,
        });
        assert.deepEqual(rejected, []);
        assert.equal(env[name], expected);
      });
    }
  },
);

Deno.test(
  "hookEnvironment() leaves out malformed and unsafe option values",
  async (t) => {
    const cases: Array<[string, number, Uint8Array, string]> = [
      ["ntpsrv", 42, new Uint8Array([192, 0, 2]), "of 3 bytes"],
      ["ipttl", 23, new Uint8Array([1, 2]), "of 2 bytes"],
      ["message", 56, encodeText("two\nlines"), "with a newline"],
      ["message", 56, new Uint8Array([0xff, 0xfe]), "not UTF-8"],
      ["tftp", 66, encodeText("tftp.example; reboot"), "with a command"],
      ["nisdomain", 40, encodeText("$(touch /tmp/x)"), "with a $()"],
    ];
    for (const [name, code, value, label] of cases) {
      await t.step(`option ${code} ${label}`, () => {
        const { env, rejected } = hookEnvironment({
          event: "bound",
          interface: "eth0",
          lease: realisticLease([[code, value]]),
          path: PATH,
        });
        assert.equal(name in env, false);
        assert.equal(`opt${code}` in env, false);
        assert.deepEqual(rejected.map((r) => r.name), [name]);
      });
    }
  },
);

Deno.test(
  "hookEnvironment() never passes a hostile domain, search or host name",
  async (t) => {
    for (const name of HOSTILE_NAMES) {
      await t.step(JSON.stringify(name), () => {
        const lease: Lease = {
          ...realisticLease(),
          domainName: name,
          hostName: name,
          domainSearch: ["good.example", name],
        };
        const { env, rejected } = hookEnvironment({
          event: "bound",
          interface: "eth0",
          lease,
          path: PATH,
        });
        for (const [key, value] of Object.entries(env)) {
          assert.equal(value.includes(name), false, `${key}=${value}`);
        }
        assert.equal("domain" in env, false);
        assert.equal("hostname" in env, false);
        assert.equal(env.search, "good.example");
        assert.deepEqual(
          rejected.map((r) => r.name).sort(),
          ["domain", "hostname", "search"],
        );
        const json = JSON.parse(env.OCIDHCP_LEASE_JSON ?? "");
        assert.equal(json.domainName, undefined);
        assert.equal(json.hostName, undefined);
        assert.deepEqual(json.domainSearch, ["good.example"]);
      });
    }
  },
);

Deno.test(
  "hookEnvironment() gives deconfig and leasefail only the interface",
  async (t) => {
    for (const event of ["deconfig", "leasefail"] as const) {
      await t.step(event, () => {
        const { env } = hookEnvironment({
          event,
          interface: "eth1",
          lease: realisticLease(),
          path: PATH,
        });
        assert.deepEqual(env, {
          PATH,
          interface: "eth1",
          OCIDHCP_EVENT: event,
          OCIDHCP_INTERFACE: "eth1",
        });
      });
    }
  },
);

Deno.test("hookEnvironment() writes an infinite lease as 4294967295", () => {
  const lease: Lease = {
    ...realisticLease(),
    leaseTime: Infinity,
    renewalTime: Infinity,
    rebindingTime: Infinity,
  };
  const { env } = hookEnvironment({
    event: "bound",
    interface: "eth0",
    lease,
    path: PATH,
  });
  assert.equal(env.lease, "4294967295");
  assert.equal(env.OCIDHCP_T1, "4294967295");
  assert.equal(env.OCIDHCP_T2, "4294967295");
  assert.equal(JSON.parse(env.OCIDHCP_LEASE_JSON ?? "").leaseTime, 4294967295);
});

Deno.test(
  "hookEnvironment() computes the broadcast only when the prefix has one",
  async (t) => {
    const base = realisticLease();
    base.options.delete(OptionCode.BROADCAST_ADDRESS);
    delete base.broadcastAddress;
    const cases: Array<[number, string | undefined]> = [
      [24, "198.18.0.255"],
      [30, "198.18.0.143"],
      [31, undefined],
      [32, undefined],
    ];
    for (const [prefix, broadcast] of cases) {
      await t.step(`/${prefix}`, () => {
        const { env } = hookEnvironment({
          event: "bound",
          interface: "eth0",
          lease: { ...base, prefix },
          path: PATH,
        });
        assert.equal(env.broadcast, broadcast);
        assert.equal(env.mask, String(prefix));
      });
    }
  },
);

Deno.test("hookEnvironment() passes the parent's PATH and nothing else", () => {
  Deno.env.set("OCIDHCP_TEST_SECRET", "leak");
  try {
    const { env } = hookEnvironment({ event: "deconfig", interface: "eth0" });
    assert.equal(env.PATH, Deno.env.get("PATH") || DEFAULT_HOOK_PATH);
    assert.deepEqual(Object.keys(env).sort(), [
      "OCIDHCP_EVENT",
      "OCIDHCP_INTERFACE",
      "PATH",
      "interface",
    ]);
  } finally {
    Deno.env.delete("OCIDHCP_TEST_SECRET");
  }
});

Deno.test("hookEnvironment() rejects an impossible interface name", () => {
  for (const name of ["", "eth0 x", "a/b", "eth\n0", "sixteen-chars-xx"]) {
    assert.throws(
      () => hookEnvironment({ event: "deconfig", interface: name }),
      TypeError,
      JSON.stringify(name),
    );
  }
});
