/**
 * A bound daemon gives the pages start-up touched back to the kernel once
 * it has been quiet for a while.
 */

import { Lab } from "../../lib/lab/lab.ts";
import { waitUntil } from "./_wait.ts";

function rssFileKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/RssFile:\s+(\d+)/.exec(status)?.[1]);
}

Deno.test({
  name: "a bound daemon pages its executable out once quiet",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await Lab.create({ interfaces: 1 });
    const dir = await Deno.makeTempDir({ prefix: "ocidhcp-test-" });
    try {
      const client = lab.spawnClient([
        "--resolv-conf",
        "none",
        "--state-dir",
        dir,
        "eth0",
      ]);
      await client.waitFor(/ready: .* configured/, 15_000);
      // `ip netns exec` execs the client, so the pid is the client's.
      const bound = rssFileKiB(client.pid);
      await waitUntil(
        () => rssFileKiB(client.pid) < bound / 2,
        15_000,
        () =>
          `file-backed RSS ${bound} kB, now ${
            rssFileKiB(client.pid)
          } kB; output:\n${client.output()}`,
      );
      // Paged-out code comes back when needed: a renewal still works.
      client.signal("SIGUSR1");
      await waitUntil(
        () => (client.output().match(/eth0: leased /g) ?? []).length >= 2,
        10_000,
        () => client.output(),
      );
      await client.stop();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
