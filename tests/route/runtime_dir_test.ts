import assert from "node:assert/strict";
import {
  ensureRuntimeDir,
  inodeOf,
  runtimeDir,
} from "../../lib/route/runtime_dir.ts";
import { createLab } from "./_netns.ts";

async function statInode(argv: string[]): Promise<string> {
  const output = await new Deno.Command(argv[0] ?? "", {
    args: argv.slice(1),
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout).trim();
}

Deno.test(
  "runtimeDir() names the directory after the namespace inode",
  async () => {
    const inode = await statInode([
      "stat",
      "-L",
      "-c",
      "%i",
      `/proc/${Deno.pid}/ns/net`,
    ]);
    assert.equal(inodeOf("/proc/self/ns/net"), BigInt(inode));
    assert.equal(runtimeDir(), `/run/ocidhcp/net-${inode}`);
    assert.equal(runtimeDir({ base: "/tmp/x" }), `/tmp/x/net-${inode}`);
  },
);

Deno.test("runtimeDir() differs between network namespaces", async () => {
  const lab = await createLab([]);
  try {
    const module = new URL("../../lib/route/runtime_dir.ts", import.meta.url);
    const inside = await statInode([
      "ip",
      "netns",
      "exec",
      lab.namespace,
      Deno.execPath(),
      "eval",
      `import { runtimeDir } from "${module.href}";` +
      "console.log(runtimeDir());",
    ]);
    assert.match(inside, /^\/run\/ocidhcp\/net-\d+$/);
    assert.notEqual(inside, runtimeDir());
  } finally {
    await lab.destroy();
  }
});

Deno.test("runtimeDir() prefers an explicit directory", () => {
  assert.equal(runtimeDir({ override: "/tmp/rt" }), "/tmp/rt");
  assert.match(runtimeDir({ override: "" }), /^\/run\/ocidhcp\/net-\d+$/);
});

Deno.test("ensureRuntimeDir() creates private subdirectories", async () => {
  const base = await Deno.makeTempDir();
  try {
    await ensureRuntimeDir(`${base}/rt`);
    for (const sub of ["", "/candidates", "/interfaces"]) {
      const info = await Deno.stat(`${base}/rt${sub}`);
      assert.ok(info.isDirectory);
      assert.equal((info.mode ?? 0) & 0o077, 0);
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
