/**
 * The command's contract: exit codes, the usage line, help and version.
 */

import assert from "node:assert/strict";
import denoConfig from "../../deno.json" with { type: "json" };
import { HELP, USAGE } from "../../cli/args.ts";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

async function ocidhcp(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = Deno.env.get("OCIDHCP_BIN");
  const command = bin !== undefined
    ? new Deno.Command(bin, { args, stdout: "piped", stderr: "piped" })
    : new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-P=client",
        "--unstable-net",
        "--config",
        CONFIG,
        MAIN,
        ...args,
      ],
      stdout: "piped",
      stderr: "piped",
    });
  const output = await command.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    // Deno warns that permission sets in deno.json are experimental.
    stderr: decoder.decode(output.stderr).split("\n")
      .filter((line) => !/experimental feature/.test(line)).join("\n"),
  };
}

Deno.test("ocidhcp exits 2 with the usage line and the problem on a bad flag", async () => {
  const { code, stdout, stderr } = await ocidhcp(["--bogus", "eth0"]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  const lines = stderr.trim().split("\n");
  assert.equal(lines[0], USAGE);
  assert.match(lines[1] ?? "", /^ocidhcp: .*bogus/);
  assert.equal(lines.length, 2);
});

Deno.test("ocidhcp --help prints the help and exits 0", async () => {
  const { code, stdout } = await ocidhcp(["--help"]);
  assert.equal(code, 0);
  assert.equal(stdout, `${HELP}\n`);
});

Deno.test("ocidhcp --version prints the version and exits 0", async () => {
  const { code, stdout } = await ocidhcp(["--version"]);
  assert.equal(code, 0);
  assert.equal(stdout, `ocidhcp ${denoConfig.version}\n`);
});

Deno.test("ocidhcp exits 1 with an error line for a missing interface", async () => {
  const runtimeDir = await Deno.makeTempDir();
  try {
    const { code, stderr } = await ocidhcp([
      "--runtime-dir",
      runtimeDir,
      "nosuch0",
    ]);
    assert.equal(code, 1);
    assert.match(stderr, /^error: .*"nosuch0" does not exist/m);
  } finally {
    await Deno.remove(runtimeDir, { recursive: true });
  }
});
