import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import type { Lease } from "../../lib/client/lease.ts";
import { DhcpOptions } from "../../lib/dhcp/options.ts";
import { RESOLV_CONF_HEADER } from "../../lib/dns/resolv_conf.ts";
import { ResolvConfManager } from "../../lib/dns/resolv_conf_manager.ts";
import { ResolvConfWriter } from "../../lib/dns/resolv_conf_writer.ts";
import { logsToMemory } from "../_log.ts";

/** What a container runtime puts in resolv.conf before the client starts. */
const RUNTIME_FILE = "nameserver 192.0.2.99\noptions ndots:0\n";

interface DnsOptions {
  /** Option 6. */
  servers?: string[];
  /** Option 15. */
  domainName?: string;
  /** Option 119. */
  search?: string[];
}

function lease(name: string, dns: DnsOptions = {}): Lease {
  const base: Lease = {
    interface: name,
    address: "198.18.0.142",
    prefix: 24,
    serverIdentifier: "198.18.0.1",
    routers: ["198.18.0.1"],
    domainNameServers: dns.servers ?? [],
    domainSearch: dns.search ?? [],
    leaseTime: 3600,
    renewalTime: 1800,
    rebindingTime: 3150,
    acquiredAt: 0,
    options: new DhcpOptions(),
  };
  return dns.domainName === undefined
    ? base
    : { ...base, domainName: dns.domainName };
}

/**
 * Runs a test on a resolv.conf in a fresh directory, holding `original`
 * (or missing when null), with a manager that writes it.
 */
async function withResolvConf(
  original: string | null,
  work: (path: string, manager: ResolvConfManager) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ocidhcp-resolv-" });
  try {
    const path = `${dir}/resolv.conf`;
    if (original !== null) await Deno.writeTextFile(path, original);
    await work(path, new ResolvConfManager(new ResolvConfWriter(path)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function nameservers(content: string): string[] {
  return [...content.matchAll(/^nameserver (\S+)$/gm)].map((m) => m[1]!);
}

function searchLine(content: string): string | undefined {
  return content.match(/^search (.*)$/m)?.[1];
}

function warnings(records: LogRecord[]): LogRecord[] {
  return records.filter((record) => record.level === "warning");
}

Deno.test(
  "ResolvConfManager leaves resolv.conf alone when no lease carries DNS",
  async () => {
    await withResolvConf(RUNTIME_FILE, async (path, manager) => {
      const before = await Deno.stat(path);
      await manager.update("eth0", lease("eth0"));
      await manager.update("eth1", lease("eth1"));
      await manager.setOwner("eth0");
      await manager.flush();
      assert.equal(await Deno.readTextFile(path), RUNTIME_FILE);
      assert.equal((await Deno.stat(path)).ino, before.ino);
      await manager.update("eth0", undefined);
      await manager.update("eth1", undefined);
      await manager.flush();
      assert.equal(await Deno.readTextFile(path), RUNTIME_FILE);
    });
  },
);

Deno.test(
  "ResolvConfManager creates no resolv.conf for leases without DNS",
  async () => {
    await withResolvConf(null, async (path, manager) => {
      await manager.update("eth0", lease("eth0"));
      await manager.flush();
      await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    });
  },
);

Deno.test(
  "ResolvConfManager leaves resolv.conf alone when every DNS value is invalid",
  async () => {
    await withResolvConf(RUNTIME_FILE, async (path, manager) => {
      await using log = await logsToMemory();
      await manager.update(
        "eth0",
        lease("eth0", { servers: ["0.0.0.0"], domainName: "bad;name" }),
      );
      await manager.flush();
      assert.equal(await Deno.readTextFile(path), RUNTIME_FILE);
      // The values are still reported as left out.
      assert.equal(warnings(log.records).length, 2);
    });
  },
);

Deno.test(
  "ResolvConfManager restores the original when a renewal drops the DNS " +
    "options",
  async () => {
    await withResolvConf(RUNTIME_FILE, async (path, manager) => {
      await manager.update("eth0", lease("eth0", { servers: ["198.18.0.53"] }));
      await manager.flush();
      assert.deepEqual(nameservers(await Deno.readTextFile(path)), [
        "198.18.0.53",
      ]);
      await manager.update("eth0", lease("eth0"));
      await manager.flush();
      assert.equal(await Deno.readTextFile(path), RUNTIME_FILE);
    });
  },
);

Deno.test(
  "ResolvConfManager writes only the DNS of the leases that carry it",
  async () => {
    await withResolvConf(RUNTIME_FILE, async (path, manager) => {
      await manager.setOwner("eth0");
      await manager.update("eth0", lease("eth0"));
      await manager.update(
        "eth1",
        lease("eth1", { servers: ["198.18.1.53"], search: ["b.example"] }),
      );
      await manager.flush();
      assert.equal(
        await Deno.readTextFile(path),
        `${RESOLV_CONF_HEADER}\nnameserver 198.18.1.53\nsearch b.example\n`,
      );
      // The lease left has no DNS: the runtime's file comes back.
      await manager.update("eth1", undefined);
      await manager.flush();
      assert.equal(await Deno.readTextFile(path), RUNTIME_FILE);
    });
  },
);

Deno.test(
  "ResolvConfManager puts the default-route owner's nameservers first",
  async () => {
    await withResolvConf(RUNTIME_FILE, async (path, manager) => {
      const shared = "198.18.9.53";
      // The owner is announced before its lease, as the supervisor may.
      await manager.setOwner("eth1");
      await manager.update(
        "eth0",
        lease("eth0", { servers: ["198.18.0.53", shared] }),
      );
      await manager.update(
        "eth1",
        lease("eth1", { servers: [shared, "198.18.1.53"] }),
      );
      await manager.flush();
      assert.deepEqual(nameservers(await Deno.readTextFile(path)), [
        shared,
        "198.18.1.53",
        "198.18.0.53",
      ]);
      // Without an owner, byte order of the names decides.
      await manager.setOwner(undefined);
      assert.deepEqual(nameservers(await Deno.readTextFile(path)), [
        "198.18.0.53",
        shared,
        "198.18.1.53",
      ]);
      await manager.setOwner("eth1");
      assert.deepEqual(nameservers(await Deno.readTextFile(path)), [
        shared,
        "198.18.1.53",
        "198.18.0.53",
      ]);
    });
  },
);

Deno.test(
  "ResolvConfManager warns once when glibc would ignore nameservers",
  async () => {
    await withResolvConf(RUNTIME_FILE, async (path, manager) => {
      await using log = await logsToMemory();
      await manager.update(
        "eth0",
        lease("eth0", { servers: ["198.18.0.53", "198.18.0.54"] }),
      );
      await manager.flush();
      assert.equal(warnings(log.records).length, 0);
      await manager.setOwner("eth1");
      const eth1 = lease("eth1", { servers: ["198.18.1.53", "198.18.1.54"] });
      await manager.update("eth1", eth1);
      // More rewrites with four servers: a renewal, owner changes.
      await manager.update("eth1", { ...eth1 });
      await manager.setOwner("eth0");
      await manager.setOwner("eth1");
      await manager.flush();
      // Every server is still written, for resolvers that read more.
      assert.equal(nameservers(await Deno.readTextFile(path)).length, 4);
      const [warning, ...more] = warnings(log.records);
      assert.ok(warning !== undefined, "no warning logged");
      assert.equal(more.length, 0, "warned more than once");
      // eth1 owns the route, so eth0's second server is the one ignored.
      assert.equal(warning.properties.interface, "eth0");
      assert.match(
        warning.message.join(""),
        /^eth0: .*first 3 of 4 .*, not 198\.18\.0\.54$/,
      );
    });
  },
);

Deno.test(
  "ResolvConfManager takes the search list from option 119, else 15",
  async (t) => {
    const cases: Array<[string, DnsOptions, string | undefined]> = [
      [
        "option 119 wins over option 15",
        { domainName: "lab.example", search: ["a.example", "b.example"] },
        "a.example b.example",
      ],
      ["option 15 alone", { domainName: "lab.example" }, "lab.example"],
      ["neither", {}, undefined],
    ];
    for (const [name, dns, expected] of cases) {
      await t.step(name, async () => {
        await withResolvConf(RUNTIME_FILE, async (path, manager) => {
          await manager.update(
            "eth0",
            lease("eth0", { servers: ["198.18.0.53"], ...dns }),
          );
          await manager.flush();
          assert.equal(searchLine(await Deno.readTextFile(path)), expected);
        });
      });
    }
    await t.step("search domains alone are written", async () => {
      await withResolvConf(RUNTIME_FILE, async (path, manager) => {
        await manager.update(
          "eth0",
          lease("eth0", { domainName: "lab.example" }),
        );
        await manager.flush();
        assert.equal(
          await Deno.readTextFile(path),
          `${RESOLV_CONF_HEADER}\nsearch lab.example\n`,
        );
      });
    });
  },
);

Deno.test(
  "ResolvConfManager restores the original when the last lease goes",
  async (t) => {
    await t.step("an existing file gets its text back", async () => {
      await withResolvConf(RUNTIME_FILE, async (path, manager) => {
        await manager.update(
          "eth0",
          lease("eth0", { servers: ["198.18.0.53"] }),
        );
        await manager.update(
          "eth1",
          lease("eth1", { servers: ["198.18.1.53"] }),
        );
        await manager.update("eth0", undefined);
        await manager.flush();
        assert.deepEqual(nameservers(await Deno.readTextFile(path)), [
          "198.18.1.53",
        ]);
        await manager.update("eth1", undefined);
        await manager.flush();
        assert.equal(await Deno.readTextFile(path), RUNTIME_FILE);
      });
    });
    await t.step("a file that did not exist is removed", async () => {
      await withResolvConf(null, async (path, manager) => {
        await manager.update(
          "eth0",
          lease("eth0", { servers: ["198.18.0.53"] }),
        );
        await manager.flush();
        assert.ok((await Deno.stat(path)).isFile);
        await manager.update("eth0", undefined);
        await manager.flush();
        await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
      });
    });
  },
);

Deno.test(
  "ResolvConfManager logs a failed write with the interface, not thrown",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "ocidhcp-resolv-" });
    try {
      // A directory that does not exist: the write fails with ENOENT.
      const manager = new ResolvConfManager(
        new ResolvConfWriter(`${dir}/missing/resolv.conf`),
      );
      await using log = await logsToMemory();
      await manager.update("eth3", lease("eth3", { servers: ["192.0.2.53"] }));
      await manager.flush();
      const errors = log.records.filter((record) => record.level === "error");
      assert.equal(errors.length, 1);
      assert.equal(errors[0]?.properties.interface, "eth3");
      assert.match(
        errors[0]!.message.join(""),
        /^eth3: .*missing\/resolv\.conf/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
