/**
 * Builds the single `ocidhcp` executable with `deno compile`, for
 * linux x86_64 and aarch64, with the flags of `deno task client`
 * (lib/process/client_flags.ts): the "client" permission set of deno.json,
 * `--unstable-net` and the V8 flags.
 *
 *   deno task compile                      # both targets, into dist/
 *   deno task compile --target x86_64-unknown-linux-gnu
 *
 * What it embeds is the bundle of `deno task bundle` (dist/ocidhcp.js),
 * built first: one module starts faster than the eighty of the source.
 *
 * `deno compile` downloads Deno's standalone runtime (denort) for each
 * target. Where Deno's servers are unreachable, point DENORT_BIN at a denort
 * binary of the same Deno version; it serves the host's target only.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { bundle, BUNDLE_PATH } from "./bundle.ts";
import { CLIENT_FLAGS } from "../lib/process/client_flags.ts";

const TARGETS = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"];
// Exactly what the "client" task runs, so compiled and `deno run` builds
// behave the same.
export const COMPILE_FLAGS: readonly string[] = CLIENT_FLAGS;

const HOST_TARGET = `${Deno.build.arch}-unknown-linux-gnu`;

function outputName(target: string): string {
  return `dist/ocidhcp-${target.split("-")[0]}`;
}

async function compile(target: string): Promise<boolean> {
  const denort = Deno.env.get("DENORT_BIN");
  if (denort !== undefined && target !== HOST_TARGET) {
    console.error(
      `skip: ${target}: DENORT_BIN serves only the host target ` +
        `(${HOST_TARGET})`,
    );
    return false;
  }
  const args = [
    "compile",
    ...COMPILE_FLAGS,
    "--target",
    target,
    "--output",
    outputName(target),
    BUNDLE_PATH,
  ];
  console.error(`deno ${args.join(" ")}`);
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  if (output.success) {
    console.error(`built ${outputName(target)}`);
    return true;
  }
  Deno.stderr.writeSync(new TextEncoder().encode(stderr));
  if (denort !== undefined) {
    console.error(
      `error: deno compile could not use DENORT_BIN=${denort} for ` +
        `${target}; it must be a denort binary of Deno ${Deno.version.deno} ` +
        `for ${HOST_TARGET}.`,
    );
  } else if (/download|fetch|dns error|connect|denort/i.test(stderr)) {
    console.error(
      `error: cannot get the Deno runtime (denort) for ${target}: Deno's ` +
        `download servers are unreachable from here. Set DENORT_BIN to a ` +
        `denort binary of Deno ${Deno.version.deno} for ${HOST_TARGET}.`,
    );
  } else {
    console.error(`error: deno compile failed for ${target}`);
  }
  return false;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { target: { type: "string", multiple: true } },
  });
  const targets = values.target ?? TARGETS;
  for (const target of targets) {
    if (!TARGETS.includes(target)) {
      console.error(`usage: deno task compile [--target TARGET]...`);
      console.error(`compile: --target must be one of ${TARGETS.join(", ")}`);
      Deno.exit(2);
    }
  }
  await Deno.mkdir("dist", { recursive: true });
  try {
    await bundle(BUNDLE_PATH);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
  let built = 0;
  for (const target of targets) {
    if (await compile(target)) built++;
  }
  Deno.exit(built === targets.length ? 0 : 1);
}
