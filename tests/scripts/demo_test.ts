/**
 * The demo, run as the README says: it must show every lease, the single
 * default route and its hand-over, and leave nothing behind, also when it
 * is interrupted.
 */

import assert from "node:assert/strict";
import { LabProcess } from "../../lib/lab/lab_process.ts";

const DEMO = new URL("../../scripts/demo.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

function spawnDemo(): LabProcess {
  return LabProcess.spawn([
    Deno.execPath(),
    "run",
    "-A",
    "--unstable-net",
    "--config",
    CONFIG,
    DEMO,
  ], { label: "demo" });
}

async function namespaces(): Promise<string[]> {
  const output = await new Deno.Command("ip", {
    args: ["netns", "list"],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(output.stdout).split("\n")
    .map((line) => line.split(" ")[0] ?? "").filter((name) => name !== "");
}

function labOf(output: string): string {
  const match = /client namespace (\S+)/.exec(output);
  assert.ok(match, `no namespace named in:\n${output}`);
  // The lab's namespaces all start with its id: ocidhcp-<pid>-<n>.
  return match[1]!.replace(/-c$/, "");
}

Deno.test({
  name: "the demo shows each lease, the owner and why, and the hand-over",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const demo = spawnDemo();
    const status = await demo.status;
    const output = demo.output();
    assert.equal(status.code, 0, output);
    for (const name of ["eth0", "eth1", "eth2"]) {
      assert.match(output, new RegExp(`${name}: leased \\S+ from \\S+`));
    }
    // Started largest first: each smaller name takes the route over.
    assert.match(output, /eth2: installed the default route: no default/);
    assert.match(output, /eth1: installed the default route: takes over/);
    assert.match(output, /eth0: installed the default route: takes over/);
    assert.match(output, /default via \S+ dev eth0 proto dhcp/);
    assert.match(output, /eth1 took the default route over \d+ ms later/);
    assert.match(output, /default via \S+ dev eth1 proto dhcp/);
    assert.match(output, /\ndone\n?$/);
    const lab = labOf(output);
    assert.deepEqual((await namespaces()).filter((n) => n.startsWith(lab)), []);
  },
});

Deno.test({
  name: "an interrupted demo removes its lab",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const demo = spawnDemo();
    try {
      await demo.waitFor(/starting one ocidhcp per interface/, 30_000);
      const lab = labOf(demo.output());
      assert.ok((await namespaces()).some((n) => n.startsWith(lab)));
      demo.signal("SIGINT");
      const status = await demo.status;
      assert.equal(status.code, 130, demo.output());
      assert.deepEqual(
        (await namespaces()).filter((n) => n.startsWith(lab)),
        [],
      );
    } finally {
      await demo.stop();
    }
  },
});
