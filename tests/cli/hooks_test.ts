/**
 * End-to-end hook scripts: the real client runs a real script with the
 * event as its argument and udhcpc's variables, and a hanging script never
 * holds the client up.
 */

import assert from "node:assert/strict";
import { Lab } from "../../lib/lab/lab.ts";
import { waitUntil } from "./_wait.ts";

// A compiled executable may run only the hook path built into it.
const COMPILED = Deno.env.get("OCIDHCP_BIN") !== undefined;

async function script(dir: string, body: string): Promise<string> {
  const path = `${dir}/hook`;
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

Deno.test({
  name: "the hook gets each event and the lease in udhcpc's variables",
  ignore: COMPILED,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create({ domainName: "corp.example" });
    const dir = await Deno.makeTempDir({ prefix: "ocidhcp-test-" });
    try {
      const log = `${dir}/events`;
      const hook = await script(
        dir,
        `echo "$1 $interface ip=$ip mask=$mask router=$router dns=$dns ` +
          `domain=$domain lease=$lease serverid=$serverid" >> ${log}`,
      );
      const client = lab.spawnClient(
        ["--state-dir", "none", "--resolv-conf", "none", "-s", hook, "eth0"],
        { allowRun: [hook] },
      );
      await client.waitFor(/ready: /, 15_000);
      const link = lab.links[0]!;
      const address = (await lab.addresses("eth0"))[0]!.address;
      await waitUntil(
        async () =>
          (await Deno.readTextFile(log).catch(() => "")).includes("bound"),
        5_000,
        () => client.output(),
      );
      client.signal("SIGUSR2");
      await waitUntil(
        async () =>
          (await Deno.readTextFile(log).catch(() => "")).includes("deconfig"),
        5_000,
        () => client.output(),
      );
      await client.stop();
      const lines = (await Deno.readTextFile(log)).trim().split("\n");
      assert.equal(
        lines[0],
        `bound eth0 ip=${address} mask=24 router=${link.router} ` +
          `dns=${link.dns} domain=corp.example lease=3600 ` +
          `serverid=${link.serverAddress}`,
      );
      assert.match(lines[1] ?? "", /^release eth0 ip=/);
      assert.match(lines[2] ?? "", /^deconfig eth0 ip= /);
      assert.equal(lines.length, 3);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a hanging hook is killed after its timeout and the client goes on",
  ignore: COMPILED,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create();
    const dir = await Deno.makeTempDir({ prefix: "ocidhcp-test-" });
    try {
      const hook = await script(dir, "sleep 600");
      const started = performance.now();
      const client = lab.spawnClient(
        [
          "--one-shot",
          "--state-dir",
          "none",
          "--resolv-conf",
          "none",
          "-s",
          hook,
          "--script-timeout",
          "1",
          "eth0",
        ],
        { allowRun: [hook] },
      );
      const status = await client.status;
      const took = performance.now() - started;
      assert.equal(status.code, 0, client.output());
      assert.match(client.output(), /hook .* still running after 1000 ms/);
      assert.ok(took < 8_000, `the one-shot run took ${took} ms`);
      assert.equal((await lab.addresses("eth0")).length, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
