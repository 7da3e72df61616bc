import assert from "node:assert/strict";
import {
  ResolvConfError,
  ResolvConfWriter,
} from "../../lib/dns/resolv_conf_writer.ts";

const PROBE = new URL("./_writer_probe.ts", import.meta.url).pathname;
const isRoot = Deno.uid() === 0;

async function withDir(work: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(
    await Deno.makeTempDir({ prefix: `ocidhcp-t-${Deno.pid}-` }),
  );
  try {
    await work(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function probe(
  scenario: string,
  dir: string,
): Promise<Record<string, unknown>> {
  const output = await new Deno.Command("unshare", {
    args: [
      "--mount",
      "--propagation",
      "private",
      Deno.execPath(),
      "run",
      "-A",
      PROBE,
      scenario,
      dir,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `probe ${scenario} failed: ${stderr}`);
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
}

Deno.test("write() of identical content does not touch the file", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/resolv.conf`;
    await Deno.writeTextFile(path, "nameserver 192.0.2.1\n");
    const before = await Deno.stat(path);
    // Coarse timestamps would hide a write done within the same tick.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const writer = new ResolvConfWriter(path);
    assert.equal(await writer.write("nameserver 192.0.2.1\n"), "unchanged");
    const after = await Deno.stat(path);
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtime?.getTime(), before.mtime?.getTime());
    assert.equal(after.ctime?.getTime(), before.ctime?.getTime());
    // Nothing was written, so there is nothing to restore either.
    await writer.restore();
    assert.equal(
      (await Deno.stat(path)).ctime?.getTime(),
      before.ctime?.getTime(),
    );
  });
});

Deno.test("write() renames over a plain file, keeping its mode", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/resolv.conf`;
    await Deno.writeTextFile(path, "nameserver 192.0.2.1\n");
    await Deno.chmod(path, 0o640);
    const before = await Deno.stat(path);
    const writer = new ResolvConfWriter(path);
    assert.equal(await writer.write("nameserver 198.51.100.1\n"), "written");
    const after = await Deno.stat(path);
    assert.notEqual(after.ino, before.ino, "a new inode means rename");
    assert.equal((after.mode ?? 0) & 0o7777, 0o640);
    assert.equal(await Deno.readTextFile(path), "nameserver 198.51.100.1\n");
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name),
      ["resolv.conf"],
      "no temporary file is left behind",
    );
    const ctime = after.ctime?.getTime();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await writer.write("nameserver 198.51.100.1\n"), "unchanged");
    assert.equal((await Deno.stat(path)).ctime?.getTime(), ctime);
  });
});

Deno.test({
  name: "write() by rename keeps the file's owner",
  ignore: !isRoot,
  fn: () =>
    withDir(async (dir) => {
      const path = `${dir}/resolv.conf`;
      await Deno.writeTextFile(path, "nameserver 192.0.2.1\n");
      await Deno.chown(path, 1000, 1001);
      await new ResolvConfWriter(path).write("nameserver 198.51.100.1\n");
      const after = await Deno.stat(path);
      assert.deepEqual([after.uid, after.gid], [1000, 1001]);
    }),
});

Deno.test("restore() writes back the text before the first write", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/resolv.conf`;
    const original = "# runtime's file\nnameserver 192.0.2.1\n";
    await Deno.writeTextFile(path, original);
    const writer = new ResolvConfWriter(path);
    await writer.write("nameserver 198.51.100.1\n");
    await writer.write("nameserver 198.51.100.2\n");
    await writer.restore();
    assert.equal(await Deno.readTextFile(path), original);
    // A second restore has nothing to undo, even if the file changed since.
    await Deno.writeTextFile(path, "changed by someone else\n");
    await writer.restore();
    assert.equal(await Deno.readTextFile(path), "changed by someone else\n");
    // After a restore the next write captures the current text afresh.
    await writer.write("nameserver 198.51.100.3\n");
    await writer.restore();
    assert.equal(await Deno.readTextFile(path), "changed by someone else\n");
  });
});

Deno.test("restore() removes a file that did not exist before", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/resolv.conf`;
    const writer = new ResolvConfWriter(path);
    assert.equal(await writer.write("nameserver 192.0.2.1\n"), "written");
    assert.equal(await Deno.readTextFile(path), "nameserver 192.0.2.1\n");
    await writer.restore();
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  });
});

Deno.test("write() through a symlink rewrites the link's target", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/real.conf`, "nameserver 192.0.2.1\n");
    await Deno.symlink("real.conf", `${dir}/resolv.conf`);
    const writer = new ResolvConfWriter(`${dir}/resolv.conf`);
    await writer.write("nameserver 198.51.100.1\n");
    assert.equal(
      (await Deno.lstat(`${dir}/resolv.conf`)).isSymlink,
      true,
    );
    assert.equal(
      await Deno.readTextFile(`${dir}/real.conf`),
      "nameserver 198.51.100.1\n",
    );
  });
});

Deno.test("concurrent write() calls run one after another", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/resolv.conf`;
    await Deno.writeTextFile(path, "original\n");
    const writer = new ResolvConfWriter(path);
    const outcomes = await Promise.all([
      writer.write("a\n"),
      writer.write("b\n"),
      writer.write("b\n"),
    ]);
    assert.deepEqual(outcomes, ["written", "written", "unchanged"]);
    assert.equal(await Deno.readTextFile(path), "b\n");
    await writer.restore();
    assert.equal(await Deno.readTextFile(path), "original\n");
  });
});

Deno.test("write() in a missing directory throws ResolvConfError", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/missing/resolv.conf`;
    const error = await new ResolvConfWriter(path).write("x\n").then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ResolvConfError);
    assert.equal(error.code, "ENOENT");
    assert.equal(error.path, path);
    assert.match(
      error.message,
      /^Cannot write .*missing\/resolv\.conf: ENOENT/,
    );
    assert.ok(error.cause instanceof Error);
  });
});

for (const scenario of ["bind-same-fs", "bind-other-fs"]) {
  Deno.test({
    name: `write() keeps the inode of a bind-mounted file (${scenario})`,
    ignore: !isRoot,
    fn: () =>
      withDir(async (dir) => {
        const report = await probe(scenario, dir);
        // Same device: only rename's EBUSY reveals the mount point; another
        // device: the device check does.
        assert.equal(report.sameDevice, scenario === "bind-same-fs");
        assert.equal(report.first, "written");
        assert.equal(report.inodeAfterWrite, report.inodeBefore);
        assert.equal(report.contentAfterWrite, "nameserver 198.51.100.1\n");
        // The runtime's own file sees the change: still the same file.
        assert.equal(report.sourceAfterWrite, "nameserver 198.51.100.1\n");
        assert.equal(report.shrink, "written");
        assert.equal(report.contentAfterShrink, "# x\n");
        assert.equal(report.inodeAfterRestore, report.inodeBefore);
        assert.equal(report.contentAfterRestore, "nameserver 192.0.2.1\n");
        assert.deepEqual(report.entries, ["resolv.conf", "runtime"]);
      }),
  });
}

Deno.test({
  name: "write() to a read-only bind mount throws ResolvConfError EROFS",
  ignore: !isRoot,
  fn: () =>
    withDir(async (dir) => {
      const report = await probe("readonly", dir);
      assert.deepEqual(report.error, {
        isResolvConfError: true,
        code: "EROFS",
        path: `${dir}/resolv.conf`,
        message: (report.error as { message: string }).message,
        hasCause: true,
      });
      assert.match(
        (report.error as { message: string }).message,
        /^Cannot write .*resolv\.conf: EROFS/,
      );
      assert.equal(report.contentAfter, "nameserver 192.0.2.1\n");
    }),
});

Deno.test({
  name: "write() on a full filesystem throws ENOSPC and keeps the old file",
  ignore: !isRoot,
  fn: () =>
    withDir(async (dir) => {
      const report = await probe("full", dir);
      assert.equal(
        (report.fill as { message: string }).message.includes(
          "No space left",
        ),
        true,
      );
      const error = report.error as Record<string, unknown>;
      assert.equal(error.isResolvConfError, true);
      assert.equal(error.code, "ENOSPC");
      assert.equal(error.hasCause, true);
      assert.match(String(error.message), /resolv\.conf: ENOSPC/);
      assert.equal(report.contentAfter, "nameserver 192.0.2.1\n");
      assert.deepEqual(report.entries, ["filler", "resolv.conf"]);
    }),
});

Deno.test({
  name: "write() in place that runs out of space puts the old text back",
  ignore: !isRoot,
  fn: () =>
    withDir(async (dir) => {
      const report = await probe("full-in-place", dir);
      const error = report.error as Record<string, unknown>;
      assert.equal(error.isResolvConfError, true);
      assert.equal(error.code, "ENOSPC");
      assert.equal(report.inodeAfter, report.inodeBefore);
      assert.equal(report.contentAfter, "nameserver 192.0.2.1\n");
    }),
});
