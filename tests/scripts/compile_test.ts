/**
 * The compile task's argument checks and its messages when the Deno
 * runtime it needs is not there; nothing here reaches the network.
 */

import assert from "node:assert/strict";
import { CLIENT_FLAGS } from "../../lib/process/client_flags.ts";
import { COMPILE_FLAGS } from "../../scripts/compile.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const HOST = `${Deno.build.arch}-unknown-linux-gnu`;
const OTHER = Deno.build.arch === "x86_64"
  ? "aarch64-unknown-linux-gnu"
  : "x86_64-unknown-linux-gnu";

async function compile(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/compile.ts", ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stderr: new TextDecoder().decode(output.stderr),
  };
}

Deno.test("the compile task refuses an unknown target with a usage line", async () => {
  const { code, stderr } = await compile(["--target", "sparc-sun-solaris"]);
  assert.equal(code, 2, stderr);
  assert.match(stderr, /^usage: deno task compile/m);
  assert.match(stderr, /--target must be one of x86_64-unknown-linux-gnu/);
});

Deno.test("with DENORT_BIN the compile task skips other targets, saying why", async () => {
  const { code, stderr } = await compile(["--target", OTHER], {
    DENORT_BIN: "/nonexistent/denort",
  });
  assert.equal(code, 1, stderr);
  assert.match(
    stderr,
    new RegExp(`skip: ${OTHER}: DENORT_BIN serves only the host target`),
  );
});

Deno.test("a DENORT_BIN that is no denort is named in the error", async () => {
  const { code, stderr } = await compile(["--target", HOST], {
    DENORT_BIN: "/nonexistent/denort",
  });
  assert.equal(code, 1, stderr);
  assert.match(
    stderr,
    /error: deno compile could not use DENORT_BIN=\/nonexistent\/denort/,
  );
  assert.doesNotMatch(stderr, /download servers are unreachable/);
});

Deno.test("deno task client and the compile task run the client with the same flags", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  assert.deepEqual(config.tasks.client.split(" "), [
    "deno",
    "run",
    ...CLIENT_FLAGS,
    "cli/main.ts",
  ]);
  assert.deepEqual(COMPILE_FLAGS, CLIENT_FLAGS);
});
