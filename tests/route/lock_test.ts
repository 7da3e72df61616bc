import assert from "node:assert/strict";
import { cString, libc } from "../../lib/ffi/libc.ts";
import { acquireLock, isLockHeld } from "../../lib/route/lock.ts";

const O_RDWR_CREAT_CLOEXEC = 0o2 | 0o100 | 0o2000000;
const LOCK_EX_NB = 2 | 4;

Deno.test("flock on two descriptors of one process conflicts", async () => {
  const dir = await Deno.makeTempDir();
  const path = cString(`${dir}/raw.lock`);
  const first = libc().open(path, O_RDWR_CREAT_CLOEXEC, 0o600);
  const second = libc().open(path, O_RDWR_CREAT_CLOEXEC, 0o600);
  try {
    assert.ok(first >= 0 && second >= 0);
    assert.equal(libc().flock(first, LOCK_EX_NB), 0);
    // Separate open file descriptions: the second attempt must fail even
    // though the same process holds the lock.
    assert.equal(libc().flock(second, LOCK_EX_NB), -1);
  } finally {
    libc().close(first);
    libc().close(second);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "acquireLock() without waiting returns undefined while held",
  async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/a.lock`;
    try {
      const lock = await acquireLock(path, { wait: false });
      assert.ok(lock);
      assert.equal(await acquireLock(path, { wait: false }), undefined);
      assert.equal(await isLockHeld(path), true);
      lock.release();
      lock.release();
      assert.equal(await isLockHeld(path), false);
      const again = await acquireLock(path, { wait: false });
      assert.ok(again);
      again.release();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "acquireLock() with waiting serialises callers of one process",
  async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/b.lock`;
    try {
      const order: string[] = [];
      const work = async (name: string) => {
        const lock = await acquireLock(path, { wait: true });
        order.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, 10));
        order.push(`${name} out`);
        lock?.release();
      };
      await Promise.all([work("a"), work("b"), work("c")]);
      assert.deepEqual(order, [
        "a in",
        "a out",
        "b in",
        "b out",
        "c in",
        "c out",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "acquireLock() waits for another process and the kernel frees it on death",
  async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/c.lock`;
    const holder = new Deno.Command("flock", {
      // -o: the sleeping child does not inherit the locked descriptor, so
      // only the flock process holds the lock.
      args: ["-o", path, "sleep", "3"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await waitUntil(() => isLockHeld(path));
      assert.equal(await acquireLock(path, { wait: false }), undefined);
      const waiting = acquireLock(path, { wait: true });
      let done = false;
      waiting.then(() => done = true);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(done, false);
      const killedAt = performance.now();
      holder.kill("SIGKILL");
      await holder.status;
      const lock = await waiting;
      assert.ok(lock);
      assert.ok(performance.now() - killedAt < 1000);
      lock.release();
    } finally {
      try {
        holder.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await holder.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("isLockHeld() is false for a missing file", async () => {
  assert.equal(await isLockHeld("/nonexistent/ocidhcp.lock"), false);
});

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("Condition not met within 2 s");
}
