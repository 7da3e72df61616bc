import assert from "node:assert/strict";
import { MessageType, OptionCode } from "../../lib/dhcp/constants.ts";
import { DhcpOptions } from "../../lib/dhcp/options.ts";
import { encodeClasslessRoutes } from "../../lib/dhcp/classless_routes.ts";
import {
  encodeIpv4List,
  encodeUint16,
  encodeUint32,
} from "../../lib/dhcp/option_values.ts";
import {
  type Lease,
  LeaseError,
  leaseExpiresAt,
  leaseFromAck,
  sameConfiguration,
} from "../../lib/client/lease.ts";
import { reply, type ReplyInit, SERVER } from "./_fixtures.ts";

const CONTEXT = { interface: "eth0", acquiredAt: 5000 };

function ack(init: Partial<ReplyInit> = {}) {
  return reply(MessageType.ACK, { xid: 1, ...init });
}

Deno.test("leaseFromAck() reads the configuration of a DHCPACK", () => {
  const message = ack({
    extra: [
      [OptionCode.ROUTER, encodeIpv4List(["192.0.2.254", "192.0.2.253"])],
      [OptionCode.DOMAIN_NAME_SERVER, encodeIpv4List(["192.0.2.53"])],
      [OptionCode.DOMAIN_NAME, new TextEncoder().encode("example.org")],
      [OptionCode.INTERFACE_MTU, encodeUint16(1400)],
      [OptionCode.BROADCAST_ADDRESS, encodeIpv4List(["192.0.2.255"])],
      [OptionCode.HOST_NAME, new TextEncoder().encode("web")],
      [
        OptionCode.DOMAIN_SEARCH,
        new Uint8Array([
          7,
          ...new TextEncoder().encode("example"),
          3,
          111,
          114,
          103,
          0,
        ]),
      ],
      [
        OptionCode.CLASSLESS_STATIC_ROUTE,
        new Uint8Array([8, 10, 192, 0, 2, 254]),
      ],
    ],
  });
  const { lease, warnings } = leaseFromAck(message, CONTEXT);
  assert.deepEqual(warnings, []);
  assert.equal(lease.interface, "eth0");
  assert.equal(lease.address, "192.0.2.10");
  assert.equal(lease.prefix, 24);
  assert.equal(lease.serverIdentifier, SERVER);
  assert.deepEqual(lease.routers, ["192.0.2.254", "192.0.2.253"]);
  assert.deepEqual(lease.domainNameServers, ["192.0.2.53"]);
  assert.equal(lease.domainName, "example.org");
  assert.deepEqual(lease.domainSearch, ["example.org"]);
  assert.deepEqual(lease.classlessStaticRoutes, [
    { destination: "10.0.0.0", prefix: 8, gateway: "192.0.2.254" },
  ]);
  assert.equal(lease.interfaceMtu, 1400);
  assert.equal(lease.broadcastAddress, "192.0.2.255");
  assert.equal(lease.hostName, "web");
  assert.equal(lease.leaseTime, 3600);
  assert.equal(lease.renewalTime, 1800);
  assert.equal(lease.rebindingTime, 3150);
  assert.equal(lease.acquiredAt, 5000);
  assert.equal(lease.options, message.options);
  assert.equal(leaseExpiresAt(lease), 5000 + 3_600_000);
});

Deno.test("leaseFromAck() leaves absent optional options out", () => {
  const { lease } = leaseFromAck(ack(), CONTEXT);
  assert.deepEqual(lease.routers, []);
  assert.deepEqual(lease.domainNameServers, []);
  assert.deepEqual(lease.domainSearch, []);
  for (
    const key of [
      "domainName",
      "classlessStaticRoutes",
      "interfaceMtu",
      "broadcastAddress",
      "hostName",
    ]
  ) {
    assert.equal(key in lease, false, key);
  }
});

Deno.test("leaseFromAck() rejects unusable DHCPACKs", async (t) => {
  const cases: Array<[string, Partial<ReplyInit>, RegExp]> = [
    ["unspecified yiaddr", { yiaddr: "0.0.0.0" }, /unspecified/],
    ["broadcast yiaddr", { yiaddr: "255.255.255.255" }, /limited broadcast/],
    ["loopback yiaddr", { yiaddr: "127.0.0.5" }, /loopback/],
    ["multicast yiaddr", { yiaddr: "224.0.0.5" }, /multicast/],
    ["reserved yiaddr", { yiaddr: "240.0.0.5" }, /reserved/],
    ["this-network yiaddr", { yiaddr: "0.1.2.3" }, /this network/],
    ["network address", { yiaddr: "192.0.2.0" }, /network address/],
    ["subnet broadcast", { yiaddr: "192.0.2.255" }, /broadcast address/],
    [
      "network address of a /30",
      { yiaddr: "192.0.2.4", mask: "255.255.255.252" },
      /network address/,
    ],
    ["lease time 0", { leaseTime: 0 }, /lease time of 0/],
    ["no lease time", { leaseTime: undefined }, /no lease time/],
    ["no server identifier", { server: undefined }, /no server identifier/],
    [
      "non-contiguous mask",
      { mask: "255.0.255.0" },
      /malformed subnet mask.*not contiguous/,
    ],
    ["mask 0.0.0.0", { mask: "0.0.0.0" }, /subnet mask 0\.0\.0\.0/],
  ];
  for (const [name, init, pattern] of cases) {
    await t.step(name, () => {
      assert.throws(() => leaseFromAck(ack(init), CONTEXT), (error) => {
        assert.ok(error instanceof LeaseError);
        assert.equal(error.interface, "eth0");
        assert.match(error.message, pattern);
        assert.match(error.message, /eth0/);
        return true;
      });
    });
  }
});

Deno.test("leaseFromAck() accepts the edges of /31 and /32", async (t) => {
  const cases: Array<[string, string]> = [
    ["192.0.2.10", "255.255.255.254"],
    ["192.0.2.11", "255.255.255.254"],
    ["192.0.2.10", "255.255.255.255"],
  ];
  for (const [yiaddr, mask] of cases) {
    await t.step(`${yiaddr} ${mask}`, () => {
      const { lease } = leaseFromAck(ack({ yiaddr, mask }), CONTEXT);
      assert.equal(lease.address, yiaddr);
    });
  }
});

Deno.test("leaseFromAck() derives the classful prefix without a mask", async (t) => {
  const cases: Array<[string, number]> = [
    ["10.1.2.3", 8],
    ["172.16.5.4", 16],
    ["192.0.2.10", 24],
  ];
  for (const [yiaddr, prefix] of cases) {
    await t.step(yiaddr, () => {
      const { lease, warnings } = leaseFromAck(
        ack({ yiaddr, mask: undefined }),
        CONTEXT,
      );
      assert.equal(lease.prefix, prefix);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? "", new RegExp(`classful prefix /${prefix}`));
    });
  }
});

Deno.test("leaseFromAck() settles T1 and T2", async (t) => {
  const cases: Array<
    [string, number | undefined, number | undefined, number, number, boolean]
  > = [
    ["defaults", undefined, undefined, 1800, 3150, false],
    ["from options", 1000, 2000, 1000, 2000, false],
    ["only T1", 1000, undefined, 1000, 3150, false],
    ["T1 equal to T2", 2000, 2000, 1800, 3150, true],
    ["T1 above T2", 3000, 2000, 1800, 3150, true],
    ["T2 equal to the lease", 1000, 3600, 1800, 3150, true],
    ["T2 beyond the lease", 1000, 4000, 1800, 3150, true],
    ["T1 beyond the lease", 4000, undefined, 1800, 3150, true],
    ["T1 of 0", 0, 2000, 1800, 3150, true],
  ];
  for (const [name, t1, t2, renewal, rebinding, warned] of cases) {
    await t.step(name, () => {
      const extra: Array<[number, Uint8Array]> = [];
      if (t1 !== undefined) {
        extra.push([OptionCode.RENEWAL_TIME_VALUE, encodeUint32(t1)]);
      }
      if (t2 !== undefined) {
        extra.push([OptionCode.REBINDING_TIME_VALUE, encodeUint32(t2)]);
      }
      const { lease, warnings } = leaseFromAck(ack({ extra }), CONTEXT);
      assert.equal(lease.renewalTime, renewal);
      assert.equal(lease.rebindingTime, rebinding);
      assert.equal(warnings.length, warned ? 1 : 0);
      if (warned) assert.match(warnings[0] ?? "", /corrected inconsistent/);
    });
  }
});

Deno.test("leaseFromAck() makes an infinite lease infinite", () => {
  const { lease, warnings } = leaseFromAck(
    ack({ leaseTime: 0xffffffff }),
    CONTEXT,
  );
  assert.deepEqual(warnings, []);
  assert.equal(lease.leaseTime, Infinity);
  assert.equal(lease.renewalTime, Infinity);
  assert.equal(lease.rebindingTime, Infinity);
  assert.equal(leaseExpiresAt(lease), Infinity);
});

Deno.test("leaseFromAck() drops malformed optional options", async (t) => {
  const cases: Array<[string, number, Uint8Array, keyof Lease]> = [
    [
      "DNS list",
      OptionCode.DOMAIN_NAME_SERVER,
      new Uint8Array(3),
      "domainNameServers",
    ],
    ["routers", OptionCode.ROUTER, new Uint8Array(5), "routers"],
    [
      "MTU below 68",
      OptionCode.INTERFACE_MTU,
      encodeUint16(67),
      "interfaceMtu",
    ],
    [
      "MTU of 3 bytes",
      OptionCode.INTERFACE_MTU,
      new Uint8Array(3),
      "interfaceMtu",
    ],
    [
      "search list",
      OptionCode.DOMAIN_SEARCH,
      new Uint8Array([9, 1]),
      "domainSearch",
    ],
    [
      "static routes",
      OptionCode.CLASSLESS_STATIC_ROUTE,
      new Uint8Array([33, 1]),
      "classlessStaticRoutes",
    ],
    ["T1", OptionCode.RENEWAL_TIME_VALUE, new Uint8Array(2), "renewalTime"],
  ];
  for (const [name, code, value, field] of cases) {
    await t.step(name, () => {
      const { lease, warnings } = leaseFromAck(
        ack({ extra: [[code, value]] }),
        CONTEXT,
      );
      assert.equal(warnings.length, 1, warnings.join("; "));
      assert.match(warnings[0] ?? "", new RegExp(`option ${code}`));
      const got = lease[field];
      if (field === "renewalTime") assert.equal(got, 1800);
      else if (Array.isArray(got)) assert.deepEqual(got, []);
      else assert.equal(got, undefined);
      assert.equal(lease.address, "192.0.2.10");
    });
  }
});

Deno.test("sameConfiguration() ignores timers only", async (t) => {
  const base = leaseFromAck(ack(), CONTEXT).lease;
  await t.step("timers and raw options differ", () => {
    const later = leaseFromAck(ack({ leaseTime: 7200 }), {
      interface: "eth0",
      acquiredAt: 99_000,
    }).lease;
    assert.equal(sameConfiguration(base, later), true);
    assert.notEqual(base.options, later.options);
  });
  const changes: Array<[string, Partial<Lease>]> = [
    ["address", { address: "192.0.2.11" }],
    ["prefix", { prefix: 25 }],
    ["server", { serverIdentifier: "192.0.2.2" }],
    ["routers", { routers: ["192.0.2.254"] }],
    ["DNS", { domainNameServers: ["192.0.2.53"] }],
    ["domain name", { domainName: "example.org" }],
    ["search", { domainSearch: ["example.org"] }],
    [
      "routes",
      {
        classlessStaticRoutes: [
          { destination: "10.0.0.0", prefix: 8, gateway: "192.0.2.254" },
        ],
      },
    ],
    ["MTU", { interfaceMtu: 1400 }],
    ["broadcast", { broadcastAddress: "192.0.2.255" }],
    ["host name", { hostName: "web" }],
  ];
  for (const [name, change] of changes) {
    await t.step(`${name} differs`, () => {
      const other: Lease = { ...base, ...change, options: new DhcpOptions() };
      assert.equal(sameConfiguration(base, other), false);
      assert.equal(sameConfiguration(other, base), false);
    });
  }
});

Deno.test("leaseFromAck() drops gateways no host can route through", async (t) => {
  const bad = [
    ["0.0.0.0", /unspecified/],
    ["255.255.255.255", /limited broadcast/],
    ["224.0.0.1", /multicast/],
    ["127.0.0.1", /loopback/],
    ["192.0.2.10", /the leased address itself/],
  ] as const;
  for (const [gateway, reason] of bad) {
    await t.step(`router ${gateway}`, () => {
      const { lease, warnings } = leaseFromAck(
        ack({
          extra: [[
            OptionCode.ROUTER,
            encodeIpv4List([gateway, "192.0.2.1"]),
          ]],
        }),
        CONTEXT,
      );
      assert.deepEqual(lease.routers, ["192.0.2.1"]);
      assert.ok(
        warnings.some((w) => w.includes(gateway) && reason.test(w)),
        warnings.join("; "),
      );
    });
    await t.step(`option 121 gateway ${gateway}`, () => {
      const routes = encodeClasslessRoutes([
        { destination: "0.0.0.0", prefix: 0, gateway },
        { destination: "10.0.0.0", prefix: 8, gateway: "192.0.2.1" },
        { destination: "192.0.2.0", prefix: 24, gateway: "0.0.0.0" },
      ]);
      const { lease } = leaseFromAck(
        ack({ extra: [[OptionCode.CLASSLESS_STATIC_ROUTE, routes]] }),
        CONTEXT,
      );
      const expected = [
        { destination: "10.0.0.0", prefix: 8, gateway: "192.0.2.1" },
        { destination: "192.0.2.0", prefix: 24, gateway: "0.0.0.0" },
      ];
      // 0.0.0.0 is RFC 3442's on-link gateway and stays.
      if (gateway === "0.0.0.0") {
        expected.unshift({ destination: "0.0.0.0", prefix: 0, gateway });
      }
      assert.deepEqual(lease.classlessStaticRoutes, expected);
    });
  }
});
