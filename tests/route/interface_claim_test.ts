import assert from "node:assert/strict";
import {
  claimInterface,
  InterfaceBusyError,
} from "../../lib/route/interface_claim.ts";

const script = new URL("./_lock_proc.ts", import.meta.url).pathname;

// Starts a stand-in client process and waits for its first line.
async function startStandIn(
  mode: "probe" | "hold",
  runtimeDir: string,
  name: string,
): Promise<{
  child: Deno.ChildProcess;
  lines: ReadableStreamDefaultReader<string>;
}> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, mode, runtimeDir, name],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await lines.read();
  assert.equal(value?.trim(), mode === "probe" ? "probing" : "held");
  return { child, lines };
}

// Stops a stand-in and returns what it printed after its first line.
async function stopStandIn(
  standIn: Awaited<ReturnType<typeof startStandIn>>,
): Promise<string> {
  standIn.child.kill("SIGTERM");
  let rest = "";
  while (true) {
    const { value, done } = await standIn.lines.read();
    if (done) break;
    rest += value;
  }
  assert.equal((await standIn.child.status).code, 0);
  return rest.trim();
}

Deno.test(
  "claimInterface() is not refused by another process probing the lock",
  async () => {
    const runtimeDir = await Deno.makeTempDir({ prefix: "ocidhcp-t-rt-" });
    try {
      await Deno.mkdir(`${runtimeDir}/interfaces`);
      // The probe only tests a lock file that exists.
      (await claimInterface(runtimeDir, "eth0")).release();
      const prober = await startStandIn("probe", runtimeDir, "eth0");
      let busy = 0;
      let claims = 0;
      try {
        for (; claims < 500; claims++) {
          try {
            const claim = await claimInterface(runtimeDir, "eth0");
            // Held long enough for the probe to see it held, as a client
            // holds its claim, then free for the probe to catch.
            await new Promise((resolve) => setTimeout(resolve, 0));
            claim.release();
            await new Promise((resolve) => setTimeout(resolve, 1));
          } catch (error) {
            if (!(error instanceof InterfaceBusyError)) throw error;
            busy++;
          }
        }
      } finally {
        const probes = Number(await stopStandIn(prober));
        // The probe must have run alongside the claims to prove anything.
        assert.ok(probes > claims, `only ${probes} probes`);
      }
      assert.equal(busy, 0, `${busy} of ${claims} claims refused as busy`);
    } finally {
      await Deno.remove(runtimeDir, { recursive: true });
    }
  },
);

Deno.test(
  "claimInterface() refuses an interface another process holds",
  async () => {
    const runtimeDir = await Deno.makeTempDir({ prefix: "ocidhcp-t-rt-" });
    try {
      await Deno.mkdir(`${runtimeDir}/interfaces`);
      const holder = await startStandIn("hold", runtimeDir, "eth0");
      try {
        await assert.rejects(
          claimInterface(runtimeDir, "eth0"),
          (error: unknown) => {
            assert.ok(error instanceof InterfaceBusyError);
            assert.equal(error.interface, "eth0");
            assert.equal(error.pid, holder.child.pid);
            return true;
          },
        );
      } finally {
        await stopStandIn(holder);
      }
      // The kernel dropped the lock with the holder's release.
      (await claimInterface(runtimeDir, "eth0")).release();
    } finally {
      await Deno.remove(runtimeDir, { recursive: true });
    }
  },
);
