/**
 * End to end: what the command line's identity options put on the wire,
 * the offered MTU on the link, the per-interface default-route opt-out,
 * JSON log lines and SIGINT, checked in the lab against real servers.
 */

import assert from "node:assert/strict";
import { MessageType, OptionCode } from "../../lib/dhcp/constants.ts";
import type { DhcpMessage } from "../../lib/dhcp/message.ts";
import { encodeClientFqdn } from "../../lib/client/messages.ts";
import {
  clientIdentifier,
  dhcpMessageType,
  hostName,
  parameterRequestList,
  vendorClassIdentifier,
} from "../../lib/dhcp/option_values.ts";
import { isValidDomainName } from "../../lib/dns/domain_name.ts";
import { Lab } from "../../lib/lab/lab.ts";
import { captureDhcp } from "./_capture.ts";
import { withTempDir } from "./_temp_dir.ts";

const CONFIGURED = /ready: .* configured/;

/** The messages the client sent of one type. */
function sent(messages: DhcpMessage[], type: number): DhcpMessage[] {
  return messages.filter((m) =>
    m.op === 1 && dhcpMessageType(m.options) === type
  );
}

Deno.test({
  name: "identity options reach the wire in DHCPDISCOVER and DHCPREQUEST",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTempDir("ocidhcp-test-options-", async (dir) => {
      await using lab = await Lab.create();
      const capture = await captureDhcp(lab, dir);
      let messages: DhcpMessage[];
      try {
        const client = lab.spawnClient([
          "--one-shot",
          "--resolv-conf",
          "none",
          "--hostname",
          "web-1",
          "--fqdn",
          "web-1.lab.example",
          "--client-id",
          "ff:00:00:00:01:00:01:aa:bb",
          "--vendor-class",
          "ocidhcp-test",
          "-O",
          "42",
          "-O",
          "119",
          "eth0",
        ]);
        assert.equal((await client.status).code, 0, client.output());
        messages = await capture.messages();
      } finally {
        await capture.stop();
      }
      const discovers = sent(messages, MessageType.DISCOVER);
      const requests = sent(messages, MessageType.REQUEST);
      assert.ok(discovers.length > 0, "no DHCPDISCOVER captured");
      assert.ok(requests.length > 0, "no DHCPREQUEST captured");
      for (const message of [...discovers, ...requests]) {
        const o = message.options;
        assert.equal(hostName(o), "web-1");
        assert.deepEqual(
          o.get(OptionCode.CLIENT_FQDN),
          encodeClientFqdn("web-1.lab.example"),
        );
        assert.deepEqual(
          clientIdentifier(o),
          new Uint8Array([0xff, 0, 0, 0, 1, 0, 1, 0xaa, 0xbb]),
        );
        assert.equal(vendorClassIdentifier(o), "ocidhcp-test");
        const requested = parameterRequestList(o);
        for (const code of [1, 3, 6, 42, 119]) {
          assert.ok(requested.includes(code), `option ${code} not requested`);
        }
      }
    });
  },
});

Deno.test({
  name: "the system host name is sent by default, and --hostname '' sends none",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTempDir("ocidhcp-test-options-", async (dir) => {
      await using lab = await Lab.create();
      const system = Deno.hostname();
      const run = async (extra: string[]): Promise<DhcpMessage[]> => {
        const capture = await captureDhcp(lab, dir);
        try {
          const client = lab.spawnClient([
            "--one-shot",
            "--resolv-conf",
            "none",
            "--release",
            ...extra,
            "eth0",
          ]);
          assert.equal((await client.status).code, 0, client.output());
          return sent(await capture.messages(), MessageType.REQUEST);
        } finally {
          await capture.stop();
        }
      };
      const byDefault = await run([]);
      assert.ok(byDefault.length > 0, "no DHCPREQUEST captured");
      assert.equal(
        hostName(byDefault[0]!.options),
        isValidDomainName(system) ? system : undefined,
      );
      const none = await run(["--hostname", ""]);
      assert.ok(none.length > 0, "no DHCPREQUEST captured");
      assert.equal(none[0]!.options.has(OptionCode.HOST_NAME), false);
    });
  },
});

for (const server of ["dnsmasq", "kea"] as const) {
  Deno.test({
    name: `the MTU ${server} offers (option 26) is set on the link`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await using lab = await Lab.create({ server, mtu: 1400 });
      const client = lab.spawnClient(["--one-shot", "--resolv-conf", "none"]);
      assert.equal((await client.status).code, 0, client.output());
      const result = await lab.run(["ip", "-j", "link", "show", "dev", "eth0"]);
      assert.equal(result.code, 0, result.stderr);
      const [link] = JSON.parse(result.stdout) as { mtu: number }[];
      assert.equal(link?.mtu, 1400);
    },
  });
}

Deno.test({
  name: "--no-default-route keeps the interface's address but not its route",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create({ interfaces: 2 });
    const client = lab.spawnClient([
      "--resolv-conf",
      "none",
      "--no-default-route",
      "eth0",
      "eth0",
      "eth1",
    ]);
    try {
      await client.waitFor(CONFIGURED, 15_000);
      assert.equal((await lab.addresses("eth0")).length, 1);
      assert.equal((await lab.addresses("eth1")).length, 1);
      const defaults = (await lab.routes()).filter((r) =>
        r.destination === "default"
      );
      // eth0 sorts first and has a router, so only the opt-out keeps the
      // route on eth1.
      assert.deepEqual(defaults.map((r) => r.device), ["eth1"]);
    } finally {
      await client.stop();
    }
  },
});

Deno.test({
  name:
    "--log-format json writes one JSON object per line, naming the interface",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create();
    const client = lab.spawnClient([
      "--one-shot",
      "--resolv-conf",
      "none",
      "--log-format",
      "json",
      "--log-level",
      "debug",
      "eth0",
    ]);
    assert.equal((await client.status).code, 0, client.output());
    const lines = client.lines("stderr").map((line) => line.text)
      // Deno's own notice about permissions from deno.json, not ours.
      .filter((text) => !text.includes("Permissions in the config file"));
    assert.ok(lines.length >= 5, client.output());
    const records = lines.map((text) => {
      try {
        return JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${text}`);
      }
    });
    for (const record of records) {
      assert.equal(typeof record.level, "string", JSON.stringify(record));
      assert.equal(typeof record.message, "string", JSON.stringify(record));
    }
    const leased = records.find((r) => /leased/.test(String(r.message)));
    assert.ok(leased, "no 'leased' record");
    const properties = leased.properties as Record<string, unknown>;
    assert.equal(properties.interface, "eth0");
  },
});

Deno.test({
  name: "SIGINT stops a daemon with exit 0 and leaves the lease in place",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create();
    const client = lab.spawnClient(["--resolv-conf", "none", "eth0"]);
    await client.waitFor(CONFIGURED, 15_000);
    client.signal("SIGINT");
    const status = await client.status;
    assert.equal(status.code, 0, client.output());
    assert.equal((await lab.addresses("eth0")).length, 1);
    const leases = await lab.serverLeases(0);
    assert.equal(leases.length, 1, "the lease was released");
  },
});
