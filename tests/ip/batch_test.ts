import assert from "node:assert/strict";
import { IpBatchError, runIpBatch } from "../../lib/ip/batch.ts";
import type {
  CommandResult,
  CommandRunner,
  RunOptions,
} from "../../lib/process/command.ts";

class RecordingRunner implements CommandRunner {
  calls: Array<{ argv: readonly string[]; stdin: string | undefined }> = [];
  constructor(readonly result: CommandResult) {}
  run(argv: readonly string[], options: RunOptions = {}) {
    this.calls.push({ argv, stdin: options.stdin });
    return Promise.resolve(this.result);
  }
}

const OK = { code: 0, stdout: "", stderr: "" };

Deno.test("runIpBatch() runs one command as plain argv", async () => {
  const runner = new RecordingRunner(OK);
  await runIpBatch(runner, [{ argv: ["-4", "addr", "show"] }]);
  assert.deepEqual(runner.calls, [{
    argv: ["ip", "-4", "addr", "show"],
    stdin: undefined,
  }]);
});

Deno.test("runIpBatch() sends several commands to one ip -batch", async () => {
  const runner = new RecordingRunner(OK);
  await runIpBatch(runner, [
    { argv: ["link", "set", "dev", "eth0", "up"] },
    { argv: ["-4", "addr", "replace", "10.0.0.2/24", "dev", "eth0"] },
  ]);
  assert.deepEqual(runner.calls, [{
    argv: ["ip", "-4", "-force", "-batch", "-"],
    stdin: "link set dev eth0 up\naddr replace 10.0.0.2/24 dev eth0\n",
  }]);
});

Deno.test("runIpBatch() ignores tolerated failures and reports others", async () => {
  const stderr = "RTNETLINK answers: No such process\nCommand failed -:1\n" +
    'Error: any valid prefix is expected rather than "x".\n' +
    "Command failed -:2\n";
  const runner = new RecordingRunner({ code: 1, stdout: "", stderr });
  await assert.rejects(
    runIpBatch(runner, [
      { argv: ["route", "del", "default"], tolerate: /No such process/ },
      { argv: ["addr", "add", "x", "dev", "eth0"] },
    ]),
    (error) => {
      assert.ok(error instanceof IpBatchError);
      assert.equal(error.failures.length, 1);
      assert.deepEqual(error.failures[0]?.argv, [
        "addr",
        "add",
        "x",
        "dev",
        "eth0",
      ]);
      assert.match(error.message, /ip addr add x dev eth0: Error: any valid/);
      return true;
    },
  );
  await runIpBatch(
    new RecordingRunner({
      code: 1,
      stdout: "",
      stderr: "RTNETLINK answers: No such process\nCommand failed -:1\n",
    }),
    [
      { argv: ["route", "del", "default"], tolerate: /No such process/ },
      { argv: ["link", "set", "dev", "eth0", "up"] },
    ],
  );
});

Deno.test("runIpBatch() refuses arguments with whitespace", async () => {
  await assert.rejects(
    runIpBatch(new RecordingRunner(OK), [{ argv: ["addr", "a b"] }]),
    TypeError,
  );
  await assert.rejects(
    runIpBatch(new RecordingRunner(OK), [{ argv: ["addr", ""] }]),
    TypeError,
  );
});

Deno.test("runIpBatch() reports a failed single command with argv and stderr", async () => {
  const runner = new RecordingRunner({
    code: 2,
    stdout: "",
    stderr: "RTNETLINK answers: File exists\n",
  });
  await assert.rejects(
    runIpBatch(runner, [{ argv: ["-4", "route", "add", "default"] }]),
    /Command failed: ip route add default: RTNETLINK answers: File exists/,
  );
});
