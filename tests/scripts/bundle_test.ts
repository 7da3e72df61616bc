/**
 * The bundle of `deno task bundle` is the client the compile task embeds:
 * it must behave as `cli/main.ts` does. `deno task smoke dist/ocidhcp.js`
 * runs every end-to-end suite against it; these checks keep the main paths
 * in the test suite.
 */

import assert from "node:assert/strict";
import { bundle } from "../../scripts/bundle.ts";
import { CLIENT_FLAGS } from "../../lib/process/client_flags.ts";
import { Lab } from "../../lib/lab/lab.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

async function withBundle(
  body: (path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ocidhcp-bundle-" });
  const previous = Deno.env.get("OCIDHCP_BUNDLE");
  try {
    const path = `${dir}/ocidhcp.js`;
    await bundle(path);
    Deno.env.set("OCIDHCP_BUNDLE", path);
    await body(path);
  } finally {
    if (previous === undefined) Deno.env.delete("OCIDHCP_BUNDLE");
    else Deno.env.set("OCIDHCP_BUNDLE", previous);
    await Deno.remove(dir, { recursive: true });
  }
}

async function runBundle(
  path: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...CLIENT_FLAGS,
      "--config",
      `${ROOT}deno.json`,
      path,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: output.code,
    stdout: text(output.stdout),
    stderr: text(output.stderr),
  };
}

Deno.test("the bundle is one module that answers --version, --help and a bad flag", async () => {
  await withBundle(async (path) => {
    const source = await Deno.readTextFile(path);
    // Only Deno's built-in Node modules stay imports; ours and LogTape's
    // are inside.
    const imports = [...source.matchAll(/^import .* from "([^"]+)";$/gm)]
      .map((match) => match[1]);
    assert.ok(imports.length > 0);
    for (const specifier of imports) assert.match(specifier!, /^node:/);

    const version = await runBundle(path, ["--version"]);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^ocidhcp \d+\.\d+\.\d+$/m);
    const help = await runBundle(path, ["--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^usage: ocidhcp /m);
    const bad = await runBundle(path, ["--bogus"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^usage: ocidhcp .*\nocidhcp: .*--bogus/m);
  });
});

Deno.test({
  name: "the bundle configures an interface, reports its status and stops",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withBundle(async (path) => {
      await using lab = await Lab.create({ interfaces: 1 });
      const client = lab.spawnClient(["--resolv-conf", "none", "eth0"]);
      assert.ok(client.argv.includes(path), client.argv.join(" "));
      await client.waitFor(/ready: eth0 configured/, 15_000);
      assert.equal((await lab.addresses("eth0")).length, 1);
      const defaults = (await lab.routes()).filter((route) =>
        route.destination === "default"
      );
      assert.deepEqual(defaults.map((route) => route.device), ["eth0"]);

      const status = lab.spawnClient(["status", "--json"]);
      assert.equal((await status.status).code, 0, status.output());
      const report = JSON.parse(
        status.lines("stdout").map((line) => line.text).join("\n"),
      );
      assert.equal(report.interfaces[0].state, "BOUND");

      client.signal("SIGTERM");
      assert.equal((await client.status).code, 0, client.output());
    });
  },
});
