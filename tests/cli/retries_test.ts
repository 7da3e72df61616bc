/**
 * End to end: --tries and --retransmit-max against a lab whose server is
 * down, in one-shot and in daemon mode, with the leasefail hook and event.
 */

import assert from "node:assert/strict";
import { MessageType } from "../../lib/dhcp/constants.ts";
import { dhcpMessageType } from "../../lib/dhcp/option_values.ts";
import { Lab } from "../../lib/lab/lab.ts";
import { captureDhcp } from "./_capture.ts";
import { withTempDir } from "./_temp_dir.ts";
import { waitUntil } from "./_wait.ts";

// A compiled executable may run only the hook path built into it.
const COMPILED = Deno.env.get("OCIDHCP_BIN") !== undefined;

Deno.test({
  name: "--one-shot --tries exits 1 after that many unanswered DHCPDISCOVERs",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTempDir("ocidhcp-test-retries-", async (dir) => {
      await using lab = await Lab.create();
      await lab.stopServer(0);
      const capture = await captureDhcp(lab, dir);
      const started = performance.now();
      let elapsed: number;
      try {
        const client = lab.spawnClient([
          "--one-shot",
          "--timeout",
          "60",
          "--tries",
          "3",
          "--retransmit-max",
          "2",
          "--resolv-conf",
          "none",
          "eth0",
        ]);
        const status = await client.status;
        elapsed = performance.now() - started;
        assert.equal(status.code, 1, client.output());
        assert.match(
          client.output(),
          /error: no lease after 3 DHCPDISCOVERs on eth0/,
        );
      } finally {
        await capture.stop();
      }
      const discovers = (await capture.messages()).filter((m) =>
        m.op === 1 && dhcpMessageType(m.options) === MessageType.DISCOVER
      );
      assert.equal(discovers.length, 3);
      // Waits of 2 s +- 1 s after each of three DHCPDISCOVERs (about 6 s):
      // the RFC schedule would have waited 4, 8 and 16 s, each at least a
      // second less with jitter, so 25 s at the least.
      assert.ok(elapsed < 25_000, `took ${elapsed} ms`);
    });
  },
});

Deno.test({
  name: "a daemon with --tries reports leasefail, then starts over and binds",
  ignore: COMPILED,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTempDir("ocidhcp-test-retries-", async (dir) => {
      await using lab = await Lab.create();
      await lab.stopServer(0);
      const log = `${dir}/hook.log`;
      const hook = `${dir}/hook`;
      await Deno.writeTextFile(
        hook,
        `#!/bin/sh\necho "$1 $interface" >> ${log}\n`,
      );
      await Deno.chmod(hook, 0o755);
      const client = lab.spawnClient([
        "--tries",
        "2",
        "--retransmit-max",
        "2",
        "--events",
        "--resolv-conf",
        "none",
        "-s",
        hook,
        "eth0",
      ], { allowRun: [hook] });
      try {
        await client.waitFor(/"event":"leasefail"/, 15_000);
        const event = client.lines("stdout").map((line) => line.text)
          .map((text) => JSON.parse(text) as Record<string, unknown>)
          .find((record) => record.event === "leasefail");
        assert.equal(event?.interface, "eth0");
        assert.equal(event?.tries, 2);
        await waitUntil(
          async () =>
            (await Deno.readTextFile(log).catch(() => "")).includes(
              "leasefail eth0",
            ),
          5_000,
          () => `no leasefail hook run:\n${client.output()}`,
        );
        // The client keeps trying, and binds once the server is back.
        await lab.startServer(0);
        await client.waitFor(/ready: eth0 configured/, 20_000);
        assert.equal((await lab.addresses("eth0")).length, 1);
        assert.ok(!client.exited, "the daemon exited");
      } finally {
        await client.stop();
      }
    });
  },
});
