import assert from "node:assert/strict";
import {
  createNamespace,
  deleteNamespace,
  labNamespacePid,
  listNamespaces,
  netnsExec,
  NetnsRunner,
  sweepStaleLabs,
} from "../../lib/lab/netns.ts";

async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test("netnsExec() prefixes argv with ip netns exec", () => {
  assert.deepEqual(netnsExec("ns1", ["ip", "-j", "addr"]), [
    "ip",
    "netns",
    "exec",
    "ns1",
    "ip",
    "-j",
    "addr",
  ]);
  assert.throws(() => netnsExec("ns1", []), TypeError);
});

Deno.test(
  "labNamespacePid() reads the owner pid of lab names only",
  async (t) => {
    const cases: [string, number | undefined][] = [
      ["ocidhcp-1234-1-c", 1234],
      ["ocidhcp-1234-12-s3", 1234],
      ["ocidhcp-t-99-route-a", 99],
      ["ocidhcp-c", undefined],
      ["other-1234-1-c", undefined],
      ["ocidhcp-12a-1", undefined],
    ];
    for (const [name, pid] of cases) {
      await t.step(name, () => assert.equal(labNamespacePid(name), pid));
    }
  },
);

Deno.test("NetnsRunner runs commands inside its namespace", async () => {
  const name = `ocidhcp-t-${Deno.pid}-runner`;
  try {
    await createNamespace(name);
    const runner = new NetnsRunner(name);
    const result = await runner.run(["ip", "-j", "link", "show"]);
    assert.equal(result.code, 0);
    const links = JSON.parse(result.stdout) as { ifname: string }[];
    assert.deepEqual(links.map((link) => link.ifname), ["lo"]);
  } finally {
    await deleteNamespace(name);
  }
  assert.ok(!(await listNamespaces()).includes(name));
});

Deno.test(
  "deleteNamespace() accepts a namespace that is already gone",
  async () => {
    await deleteNamespace(`ocidhcp-t-${Deno.pid}-never-created`);
  },
);

Deno.test(
  "sweepStaleLabs() removes namespaces of dead owners and their " +
    "processes",
  async () => {
    const pid = await deadPid();
    const stale = `ocidhcp-${pid}-1-c`;
    const live = `ocidhcp-${Deno.pid}-999-sweep`;
    let sleeper: Deno.ChildProcess | undefined;
    let temp: string | undefined;
    try {
      await createNamespace(stale);
      await createNamespace(live);
      sleeper = new Deno.Command("ip", {
        args: netnsExec(stale, ["sleep", "30"]).slice(1),
        stdout: "null",
        stderr: "null",
      }).spawn();
      // Wait until the sleeper is inside the namespace.
      for (let i = 0; i < 100; i++) {
        const pids = new Deno.Command("ip", { args: ["netns", "pids", stale] });
        const out = new TextDecoder().decode((await pids.output()).stdout);
        if (out.trim() !== "") break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      temp = await Deno.makeTempDir({ prefix: "ocidhcp-t-sweep-" });
      const staleDir = `${temp}/ocidhcp-${pid}-1-abc`;
      const liveDir = `${temp}/ocidhcp-${Deno.pid}-1-abc`;
      await Deno.mkdir(`${staleDir}/link0`, { recursive: true });
      await Deno.mkdir(liveDir);
      const removed = await sweepStaleLabs({ tempDirectory: temp });
      assert.ok(removed.includes(staleDir));
      assert.deepEqual(
        [...Deno.readDirSync(temp)].map((entry) => entry.name),
        [`ocidhcp-${Deno.pid}-1-abc`],
      );
      assert.ok(removed.includes(stale), `${stale} not in ${removed}`);
      assert.ok(!removed.includes(live));
      const names = await listNamespaces();
      assert.ok(!names.includes(stale));
      assert.ok(names.includes(live));
      const status = await sleeper.status;
      assert.equal(status.signal, "SIGKILL");
      sleeper = undefined;
    } finally {
      if (sleeper !== undefined) {
        try {
          sleeper.kill("SIGKILL");
        } catch { /* already gone */ }
        await sleeper.status;
      }
      await deleteNamespace(stale);
      await deleteNamespace(live);
      if (temp !== undefined) await Deno.remove(temp, { recursive: true });
    }
  },
);
