import assert from "node:assert/strict";
import { IpBatchError, IpBatchQueue, runIpBatch } from "../../lib/ip/batch.ts";
import { createLab } from "../route/_netns.ts";
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
    /Command failed with exit code 2: ip route add default: RTNETLINK answers: File exists/,
  );
});

Deno.test("runIpBatch() names a missing device with real ip, alone or in a batch", async () => {
  const lab = await createLab(["eth0"]);
  try {
    const missing = {
      argv: ["-4", "route", "replace", "10.9.0.0/16", "dev", "nosuch0"],
    };
    for (
      const commands of [
        [missing],
        [{ argv: ["link", "set", "dev", "eth0", "up"] }, missing],
      ]
    ) {
      await assert.rejects(runIpBatch(lab.runner, commands), (error) => {
        assert.ok(error instanceof IpBatchError);
        assert.equal(error.missingDevice, "nosuch0");
        assert.ok(error.code !== 0);
        assert.match(
          error.message,
          /^Interface "nosuch0" does not exist in this network namespace; .*exit code \d+: ip route replace 10\.9\.0\.0\/16 dev nosuch0: Cannot find device "nosuch0"/,
        );
        return true;
      });
    }
  } finally {
    await lab.destroy();
  }
});

Deno.test("IpBatchQueue runs batches submitted together in one ip process", async () => {
  const lab = await createLab(["eth0", "eth1", "eth2"]);
  try {
    const queue = new IpBatchQueue(lab.runner);
    const route = (net: string, device: string, gateway: string) => ({
      argv: ["-4", "route", "replace", net, "via", gateway, "dev", device],
    });
    // The first starts at once; the other three wait for it and go as one.
    const results = await Promise.allSettled([
      queue.run([route("10.1.0.0/16", "eth0", "198.18.0.1")]),
      queue.run([
        route("10.2.0.0/16", "eth1", "198.18.1.1"),
        route("10.3.0.0/16", "eth1", "198.18.1.1"),
      ]),
      // Unreachable gateway: this caller alone fails.
      queue.run([route("10.4.0.0/16", "eth2", "203.0.113.1")]),
      queue.run([
        { argv: ["route", "del", "10.9.0.0/16"], tolerate: /No such process/ },
        route("10.5.0.0/16", "eth2", "198.18.2.1"),
      ]),
    ]);
    assert.deepEqual(results.map((r) => r.status), [
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    const failed = results[2] as PromiseRejectedResult;
    assert.ok(failed.reason instanceof IpBatchError);
    assert.deepEqual(failed.reason.failures.map((f) => f.argv.at(2)), [
      "10.4.0.0/16",
    ]);
    assert.match(failed.reason.message, /Nexthop has invalid gateway/);
    assert.deepEqual(lab.runner.calls.map((argv) => argv.slice(0, 3)), [
      ["ip", "-4", "route"],
      ["ip", "-4", "-force"],
    ]);
    const routes = await lab.sh("ip", "-4", "route", "show", "proto", "boot");
    for (
      const net of ["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.5.0.0/16"]
    ) {
      assert.match(routes, new RegExp(`^${net.replaceAll(".", "\\.")} `, "m"));
    }
    assert.doesNotMatch(routes, /10\.4\.0\.0/);
  } finally {
    await lab.destroy();
  }
});

Deno.test("IpBatchQueue refuses a bad argument without failing the others", async () => {
  const runner = new RecordingRunner(OK);
  const queue = new IpBatchQueue(runner);
  const good = queue.run([{ argv: ["link", "set", "dev", "eth0", "up"] }]);
  assert.throws(() => queue.run([{ argv: ["addr", "a b"] }]), TypeError);
  await good;
  assert.equal(runner.calls.length, 1);
});

Deno.test("IpBatchQueue fails every caller of a batch whose ip fails whole", async () => {
  const runner = new RecordingRunner({
    code: 255,
    stdout: "",
    stderr: "Cannot open network namespace\n",
  });
  const queue = new IpBatchQueue(runner);
  const runs = [
    queue.run([{ argv: ["link", "set", "dev", "eth0", "up"] }]),
    queue.run([{ argv: ["link", "set", "dev", "eth1", "up"] }]),
    queue.run([{ argv: ["link", "set", "dev", "eth2", "up"] }]),
  ];
  const results = await Promise.allSettled(runs);
  assert.deepEqual(results.map((r) => r.status), [
    "rejected",
    "rejected",
    "rejected",
  ]);
  assert.equal(runner.calls.length, 2);
});
