import assert from "node:assert/strict";
import { DryRunRunner, isReadOnly } from "../../lib/process/dry_run.ts";
import type { CommandRunner } from "../../lib/process/command.ts";

Deno.test("DryRunRunner runs reads and prints changes", async () => {
  const ran: string[] = [];
  const inner: CommandRunner = {
    run: (argv) => {
      ran.push(argv.join(" "));
      return Promise.resolve({ code: 0, stdout: "[]", stderr: "" });
    },
  };
  const printed: string[] = [];
  const runner = new DryRunRunner(inner, (line) => printed.push(line));
  assert.equal(
    (await runner.run(["ip", "-4", "-j", "route", "show", "table", "main"]))
      .stdout,
    "[]",
  );
  await runner.run(["ip", "-4", "route", "replace", "default", "dev", "eth0"]);
  await runner.run(["ip", "-4", "-force", "-batch", "-"], {
    stdin: "link set dev eth0 up\naddr replace 10.0.0.2/24 dev eth0\n",
  });
  assert.deepEqual(ran, ["ip -4 -j route show table main"]);
  assert.deepEqual(printed, [
    "ip -4 route replace default dev eth0",
    "ip -4 link set dev eth0 up",
    "ip -4 addr replace 10.0.0.2/24 dev eth0",
  ]);
  assert.equal(isReadOnly(["ip", "-o", "monitor", "link"]), true);
  assert.equal(isReadOnly(["ip", "-4", "-j", "-batch", "-"]), true);
  assert.equal(isReadOnly(["ip", "-4", "-force", "-batch", "-"]), false);
  assert.equal(isReadOnly(["ip", "link", "set", "dev", "eth0", "up"]), false);
});
