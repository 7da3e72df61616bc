import assert from "node:assert/strict";
import {
  exceedsGlibcLimit,
  MAX_SEARCH_DOMAINS,
  MAX_SEARCH_LENGTH,
  renderResolvConf,
  RESOLV_CONF_HEADER,
  type ResolvConfLease,
} from "../../lib/dns/resolv_conf.ts";

function lease(
  name: string,
  servers: string[],
  search: string[] = [],
  domainName?: string,
): ResolvConfLease {
  return {
    interface: name,
    domainNameServers: servers,
    domainSearch: search,
    domainName,
  };
}

Deno.test("renderResolvConf() writes header, nameservers, then search", () => {
  const result = renderResolvConf({
    leases: [lease("eth0", ["192.0.2.53", "192.0.2.54"], ["a.example"])],
    order: ["eth0"],
  });
  assert.equal(
    result.content,
    `${RESOLV_CONF_HEADER}\n` +
      "nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch a.example\n",
  );
  assert.match(RESOLV_CONF_HEADER, /^# .*ocidhcp.*rewritten/);
  assert.deepEqual(result.rejected, []);
});

Deno.test("renderResolvConf() orders leases by priority", async (t) => {
  const leases = [
    lease("eth2", ["192.0.2.2"], ["two.example"]),
    lease("eth0", ["192.0.2.0"], ["zero.example"]),
    lease("eth1", ["192.0.2.1"], ["one.example"]),
    lease("br0", ["192.0.2.9"], ["br.example"]),
  ];
  const cases: Array<{ order: string[]; expected: string[] }> = [
    { order: [], expected: ["br0", "eth0", "eth1", "eth2"] },
    { order: ["eth2"], expected: ["eth2", "br0", "eth0", "eth1"] },
    { order: ["eth1", "eth0"], expected: ["eth1", "eth0", "br0", "eth2"] },
    { order: ["wlan0", "eth2"], expected: ["eth2", "br0", "eth0", "eth1"] },
  ];
  const server: Record<string, string> = {
    br0: "192.0.2.9",
    eth0: "192.0.2.0",
    eth1: "192.0.2.1",
    eth2: "192.0.2.2",
  };
  const domain: Record<string, string> = {
    br0: "br.example",
    eth0: "zero.example",
    eth1: "one.example",
    eth2: "two.example",
  };
  for (const { order, expected } of cases) {
    await t.step(`order [${order.join(", ")}]`, () => {
      const result = renderResolvConf({ leases, order });
      assert.deepEqual(result.nameservers, expected.map((n) => server[n]));
      assert.deepEqual(result.search, expected.map((n) => domain[n]));
    });
  }
});

Deno.test("renderResolvConf() keeps the first of duplicate entries", () => {
  const result = renderResolvConf({
    leases: [
      lease("eth1", ["192.0.2.1", "192.0.2.2"], ["B.example", "c.example"]),
      lease("eth0", ["192.0.2.2", "192.0.2.3", "192.0.2.2"], [
        "b.example.",
        "a.example",
        "A.EXAMPLE",
      ]),
    ],
    order: ["eth0", "eth1"],
  });
  assert.deepEqual(result.nameservers, [
    "192.0.2.2",
    "192.0.2.3",
    "192.0.2.1",
  ]);
  assert.deepEqual(result.search, ["b.example", "a.example", "c.example"]);
  assert.deepEqual(result.rejected, []);
});

Deno.test("renderResolvConf() writes all nameservers, flags past three", () => {
  const three = renderResolvConf({
    leases: [lease("eth0", ["192.0.2.1", "192.0.2.2", "192.0.2.3"])],
    order: [],
  });
  assert.equal(exceedsGlibcLimit(three), false);
  const five = renderResolvConf({
    leases: [
      lease("eth0", ["192.0.2.1", "192.0.2.2", "192.0.2.3"]),
      lease("eth1", ["198.51.100.1", "198.51.100.2"]),
    ],
    order: ["eth0"],
  });
  assert.equal(exceedsGlibcLimit(five), true);
  assert.equal(five.content.match(/^nameserver /gm)?.length, 5);
  assert.match(five.content, /nameserver 198\.51\.100\.2\n/);
});

Deno.test("renderResolvConf() prefers option 119 over option 15", async (t) => {
  const cases: Array<{
    name: string;
    lease: ResolvConfLease;
    search: string[];
  }> = [
    {
      name: "both present: 119 only",
      lease: lease("eth0", [], ["s1.example", "s2.example"], "d.example"),
      search: ["s1.example", "s2.example"],
    },
    {
      name: "119 empty: 15",
      lease: lease("eth0", [], [], "d.example"),
      search: ["d.example"],
    },
    { name: "neither", lease: lease("eth0", []), search: [] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const result = renderResolvConf({ leases: [c.lease], order: [] });
      assert.deepEqual(result.search, c.search);
      if (c.search.length === 0) {
        assert.doesNotMatch(result.content, /search/);
      } else {
        assert.match(
          result.content,
          new RegExp(`^search ${c.search.join(" ")}$`, "m"),
        );
      }
    });
  }
});

Deno.test("renderResolvConf() separates search domains with spaces", () => {
  const { content } = renderResolvConf({
    leases: [lease("eth0", [], ["a.example", "b.example", "c.example"])],
    order: [],
  });
  assert.match(content, /^search a\.example b\.example c\.example$/m);
  assert.doesNotMatch(content, /,/);
  assert.equal(content.match(/^search/gm)?.length, 1);
});

Deno.test("renderResolvConf() caps the search list", async (t) => {
  await t.step(`at ${MAX_SEARCH_DOMAINS} domains`, () => {
    const names = Array.from({ length: 8 }, (_, i) => `d${i}.example`);
    const result = renderResolvConf({
      leases: [lease("eth0", [], names)],
      order: [],
    });
    assert.deepEqual(result.search, names.slice(0, MAX_SEARCH_DOMAINS));
    assert.deepEqual(
      result.rejected.map((r) => r.value),
      names.slice(MAX_SEARCH_DOMAINS),
    );
    assert.match(result.rejected[0]?.reason ?? "", /more than 6/);
  });
  await t.step(`at ${MAX_SEARCH_LENGTH} characters`, () => {
    const label = "a".repeat(63);
    const long = `${label}.${label}.${label}`; // 191 characters
    const result = renderResolvConf({
      leases: [lease("eth0", [], [long, `b.${long}`, "short.example"])],
      order: [],
    });
    assert.deepEqual(result.search, [long, "short.example"]);
    assert.equal(result.rejected[0]?.value, `b.${long}`);
    assert.match(result.rejected[0]?.reason ?? "", /longer than 255/);
    const line = result.content.split("\n").find((l) =>
      l.startsWith("search ")
    );
    assert.ok(line !== undefined && line.length <= "search ".length + 255);
  });
});

Deno.test("renderResolvConf() rejects hostile domain names", async (t) => {
  const hostile = [
    "example.com\nnameserver 6.6.6.6",
    "evil example.com",
    'quote"d.example',
    "semi;colon.example",
    "$(reboot)",
    "under_score.example",
    "-leading.example",
    `${"a".repeat(64)}.example`,
    `${"abcdefghi.".repeat(26)}example`,
    "",
    "a..b",
    "tab\there.example",
  ];
  for (const value of hostile) {
    await t.step(JSON.stringify(value).slice(0, 40), () => {
      for (const asSearch of [true, false]) {
        const result = renderResolvConf({
          leases: [
            asSearch
              ? lease("eth0", ["192.0.2.1"], [value, "ok.example"])
              : lease("eth0", ["192.0.2.1"], [], value),
          ],
          order: [],
        });
        assert.deepEqual(result.rejected.map((r) => r.value), [value]);
        assert.equal(result.rejected[0]?.interface, "eth0");
        assert.match(result.rejected[0]?.reason ?? "", /invalid search/);
        assert.deepEqual(result.search, asSearch ? ["ok.example"] : []);
        if (value !== "") assert.ok(!result.content.includes(value));
        // Nothing but the expected lines reaches the file.
        const lines = result.content.split("\n");
        assert.equal(lines.pop(), "");
        for (const line of lines.slice(1)) {
          assert.match(
            line,
            /^(nameserver [0-9.]+|search [a-z0-9. -]+)$/,
          );
        }
      }
    });
  }
});

Deno.test("renderResolvConf() rejects non-unicast nameservers", async (t) => {
  const invalid = [
    "0.0.0.0",
    "255.255.255.255",
    "127.0.0.1",
    "224.0.0.1",
    "240.0.0.1",
    "0.1.2.3",
    "1.2.3",
    "::1",
    "010.0.0.1",
    "192.0.2.1\nsearch evil",
    " 192.0.2.1",
    "",
  ];
  for (const value of invalid) {
    await t.step(JSON.stringify(value), () => {
      const result = renderResolvConf({
        leases: [lease("eth0", [value, "192.0.2.53"])],
        order: [],
      });
      assert.deepEqual(result.nameservers, ["192.0.2.53"]);
      assert.equal(result.rejected.length, 1);
      assert.equal(result.rejected[0]?.value, value);
      assert.equal(result.rejected[0]?.interface, "eth0");
      assert.equal(
        result.content,
        `${RESOLV_CONF_HEADER}\nnameserver 192.0.2.53\n`,
      );
    });
  }
});

Deno.test("renderResolvConf() of no leases is the header alone", () => {
  const result = renderResolvConf({ leases: [], order: ["eth0"] });
  assert.equal(result.content, `${RESOLV_CONF_HEADER}\n`);
  assert.deepEqual(result.nameservers, []);
  assert.deepEqual(result.search, []);
});
