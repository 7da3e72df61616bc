import assert from "node:assert/strict";
import {
  CommandFailedError,
  CommandNotFoundError,
  DenoCommandRunner,
  runChecked,
} from "../../lib/process/command.ts";
import { LineChild, spawnChild } from "../../lib/process/line_child.ts";

Deno.test("runChecked() returns stdout and passes stdin", async () => {
  const out = await runChecked(new DenoCommandRunner(), ["cat"], {
    stdin: "hello\n",
  });
  assert.equal(out, "hello\n");
});

Deno.test("runChecked() reports argv, exit code and stderr", async () => {
  await assert.rejects(
    runChecked(new DenoCommandRunner(), ["ip", "route", "bogus"]),
    (error) => {
      assert.ok(error instanceof CommandFailedError);
      assert.deepEqual(error.argv, ["ip", "route", "bogus"]);
      assert.notEqual(error.code, 0);
      assert.match(error.message, /ip route bogus/);
      assert.ok(error.stderr.length > 0);
      return true;
    },
  );
});

Deno.test("a missing program gives CommandNotFoundError naming it", async () => {
  await assert.rejects(
    new DenoCommandRunner().run(["ocidhcp-no-such-program"]),
    CommandNotFoundError,
  );
  assert.throws(
    () => spawnChild(["ocidhcp-no-such-program"]),
    /Cannot run "ocidhcp-no-such-program": not found in PATH/,
  );
});

Deno.test("LineChild hands over complete lines and stops its child", async () => {
  const lines: string[] = [];
  const child = new LineChild(
    ["sh", "-c", "printf 'a\\nb'; printf 'c\\n'; exec sleep 30"],
    (line) => lines.push(line),
  );
  const deadline = Date.now() + 5000;
  while (lines.length < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await child.stop();
  assert.deepEqual(lines, ["a", "bc"]);
});
