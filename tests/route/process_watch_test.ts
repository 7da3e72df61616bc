import assert from "node:assert/strict";
import { pidNamespace, ProcessWatch } from "../../lib/route/process_watch.ts";

function sleeper(): Deno.ChildProcess {
  return new Deno.Command("sleep", { args: ["30"], stdout: "null" }).spawn();
}

Deno.test("ProcessWatch calls back once when the watched process exits", async () => {
  const child = sleeper();
  let exits = 0;
  const exited = Promise.withResolvers<void>();
  const watch = new ProcessWatch(() => {
    exits++;
    exited.resolve();
  });
  try {
    assert.equal(watch.watch(child.pid), true);
    assert.equal(watch.pid, child.pid);
    // Alive: nothing is reported.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(exits, 0);
    child.kill("SIGKILL");
    await exited.promise;
    await child.status;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(exits, 1);
    assert.equal(watch.pid, undefined);
  } finally {
    await watch.close();
  }
});

Deno.test("ProcessWatch reports a process already gone when watched", async () => {
  const child = sleeper();
  child.kill("SIGKILL");
  await child.status;
  const exited = Promise.withResolvers<void>();
  const watch = new ProcessWatch(() => exited.resolve());
  assert.equal(watch.watch(child.pid), true);
  await exited.promise;
  await watch.close();
});

Deno.test("ProcessWatch follows only the last process it was given", async () => {
  const first = sleeper();
  const second = sleeper();
  const seen: string[] = [];
  const exited = Promise.withResolvers<void>();
  const watch = new ProcessWatch(() => {
    seen.push("exit");
    exited.resolve();
  });
  try {
    watch.watch(first.pid);
    watch.watch(second.pid);
    first.kill("SIGKILL");
    await first.status;
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(seen, []);
    second.kill("SIGKILL");
    await exited.promise;
    await second.status;
    assert.deepEqual(seen, ["exit"]);
  } finally {
    await watch.close();
  }
});

Deno.test("ProcessWatch.close() stops watching and leaves no pending call", async () => {
  const child = sleeper();
  let exits = 0;
  const watch = new ProcessWatch(() => exits++);
  watch.watch(child.pid);
  await watch.close();
  child.kill("SIGKILL");
  await child.status;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(exits, 0);
  // The test sanitizers fail the test if the poll were still pending.
});

Deno.test("pidNamespace() reads this process's PID namespace", () => {
  const namespace = pidNamespace();
  assert.equal(typeof namespace, "bigint");
  assert.equal(pidNamespace(), namespace);
});
