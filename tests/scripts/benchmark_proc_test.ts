import assert from "node:assert/strict";
import {
  cpuBetween,
  threadCpuNanoseconds,
} from "../../scripts/benchmark/proc.ts";

Deno.test("cpuBetween() counts growth and new threads, and ended threads as nothing", () => {
  const before = new Map([["1", 100], ["2", 5_000], ["3", 40]]);
  // Thread 2 ended with its 5,000 ns; thread 4 started.
  const after = new Map([["1", 160], ["3", 40], ["4", 25]]);
  assert.equal(cpuBetween(before, after), 60 + 25);
});

Deno.test("threadCpuNanoseconds() reads this process's threads, and nothing of a gone one", () => {
  const threads = threadCpuNanoseconds(Deno.pid);
  assert.ok(threads.has(String(Deno.pid)), [...threads.keys()].join(","));
  assert.ok((threads.get(String(Deno.pid)) ?? 0) > 0);
  assert.equal(threadCpuNanoseconds(2 ** 22 + 1).size, 0);
});
