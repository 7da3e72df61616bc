/**
 * Builds `dist/ocidhcp.js`: the whole client, LogTape included, as one
 * JavaScript module.
 *
 *   deno task bundle                  # dist/ocidhcp.js
 *   deno task bundle /tmp/ocidhcp.js
 *
 * Loading some 80 modules one by one costs a `deno run` of `cli/main.ts`
 * about 15 ms before its first packet (each is looked up in Deno's cache
 * and compiled on its own); the bundle loads as one. The compile task
 * embeds it, and it runs as it is with
 * the flags of `lib/process/client_flags.ts`:
 * `deno run -P=client --unstable-net
 * --v8-flags=--no-memory-reducer,--min-semi-space-size=4 dist/ocidhcp.js`.
 *
 * @module
 */

/** The bundle's default path. */
export const BUNDLE_PATH = "dist/ocidhcp.js";

/**
 * Bundles `cli/main.ts` with `deno bundle`.
 *
 * @param output Where to write the bundle.
 * @returns When it is written.
 * @throws {Error} With deno bundle's output if it fails.
 */
export async function bundle(output: string): Promise<void> {
  const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
  const slash = output.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(output.slice(0, slash), { recursive: true });
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "deno",
      "--config",
      `${root}deno.json`,
      "--output",
      output,
      `${root}cli/main.ts`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const stderr = new TextDecoder().decode(result.stderr).trim();
    throw new Error(`deno bundle failed:\n${stderr}`);
  }
}

if (import.meta.main) {
  if (Deno.args.length > 1) {
    console.error("usage: deno task bundle [OUTPUT]");
    Deno.exit(2);
  }
  const output = Deno.args[0] ?? BUNDLE_PATH;
  try {
    await bundle(output);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
  console.error(`built ${output}`);
}
