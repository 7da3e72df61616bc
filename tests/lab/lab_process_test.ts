import assert from "node:assert/strict";
import { LabProcess, LabProcessError } from "../../lib/lab/lab_process.ts";

Deno.test(
  "LabProcess.waitFor() finds lines on either stream, before or " +
    "after they arrive",
  async () => {
    const process = LabProcess.spawn([
      "sh",
      "-c",
      "echo early; echo oops >&2; sleep 0.1; echo late",
    ]);
    try {
      assert.equal(await process.waitFor(/late/, 5000), "late");
      assert.equal(await process.waitFor(/early/, 0), "early");
      assert.equal(await process.waitFor(/oops/, 0), "oops");
      assert.equal((await process.status).code, 0);
      assert.deepEqual(process.lines("stdout").map((line) => line.text), [
        "early",
        "late",
      ]);
      assert.match(process.output(), /\[stderr\] oops/);
    } finally {
      await process.stop();
    }
  },
);

Deno.test(
  "LabProcess.waitFor() rejects with the output on timeout",
  async () => {
    const process = LabProcess.spawn(["sh", "-c", "echo hello; sleep 5"]);
    try {
      await process.waitFor(/hello/, 5000);
      await assert.rejects(
        process.waitFor(/never/, 50),
        (error: unknown) =>
          error instanceof LabProcessError && error.output === "hello" &&
          /within 50 ms/.test(error.message),
      );
    } finally {
      await process.stop();
    }
  },
);

Deno.test(
  "LabProcess.waitFor() rejects when the process exits first",
  async () => {
    const process = LabProcess.spawn(["sh", "-c", "echo bye; exit 3"]);
    await assert.rejects(
      process.waitFor(/never/, 5000),
      (error: unknown) =>
        error instanceof LabProcessError && /exited with code 3/.test(
          error.message,
        ) && error.output === "bye",
    );
    await assert.rejects(process.waitFor(/never/, 5000), LabProcessError);
  },
);

Deno.test(
  "LabProcess.stop() kills a process that ignores SIGTERM",
  async () => {
    const process = LabProcess.spawn([
      "sh",
      "-c",
      "trap '' TERM; echo armed; exec sleep 10",
    ]);
    await process.waitFor(/armed/, 5000);
    const started = Date.now();
    const status = await process.stop(100);
    assert.equal(status.signal, "SIGKILL");
    assert.ok(Date.now() - started < 5000);
    assert.ok(process.exited);
  },
);
