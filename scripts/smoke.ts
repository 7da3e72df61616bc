/**
 * Runs the end-to-end suite against a given ocidhcp executable (for example
 * a compiled one), or a bundle, instead of `deno run cli/main.ts`:
 *
 *   deno task smoke dist/ocidhcp-x86_64
 *   deno task smoke dist/ocidhcp.js
 *
 * The lab starts `$OCIDHCP_BIN` (an executable) or runs `$OCIDHCP_BUNDLE`
 * (a file ending in .js) in place of the source; everything else about the
 * tests is unchanged.
 *
 * @module
 */

if (import.meta.main) {
  const executable = Deno.args[0];
  if (executable === undefined || Deno.args.length > 1) {
    console.error("usage: deno task smoke EXECUTABLE|BUNDLE.js");
    Deno.exit(2);
  }
  const path = await Deno.realPath(executable).catch(() => undefined);
  if (path === undefined) {
    console.error(`error: ${executable} does not exist`);
    Deno.exit(1);
  }
  const status = await new Deno.Command(Deno.execPath(), {
    // Every suite that runs the client as a process: the command line,
    // the hostile server and the interop matrix.
    args: [
      "test",
      "-A",
      "--unstable-net",
      "tests/cli/",
      "tests/hostile/",
      "tests/interop/",
    ],
    env: path.endsWith(".js")
      ? { OCIDHCP_BUNDLE: path }
      : { OCIDHCP_BIN: path },
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  Deno.exit(status.code);
}
