/**
 * A stand-in for another client process in the interface claim tests.
 *
 * - `probe`: tests the interface's lock with `isLockHeld` in a tight loop,
 *   as a non-owner's stale-candidate check does, printing "probing" once
 *   started and the number of probes on SIGTERM.
 * - `hold`: claims the interface, prints "held" and keeps it until SIGTERM.
 *
 * Usage: _lock_proc.ts probe|hold <runtime dir> <interface>
 *
 * @module
 */

import {
  claimInterface,
  interfaceLockPath,
} from "../../lib/route/interface_claim.ts";
import { isLockHeld } from "../../lib/route/lock.ts";

const [mode, runtimeDir, name] = Deno.args;
if (
  (mode !== "probe" && mode !== "hold") || runtimeDir === undefined ||
  name === undefined
) {
  console.error("usage: _lock_proc.ts probe|hold <runtime dir> <interface>");
  Deno.exit(2);
}
let stopped = false;
Deno.addSignalListener("SIGTERM", () => {
  stopped = true;
});
if (mode === "hold") {
  const claim = await claimInterface(runtimeDir, name);
  console.log("held");
  while (!stopped) await new Promise((resolve) => setTimeout(resolve, 10));
  claim.release();
} else {
  const path = interfaceLockPath(runtimeDir, name);
  let probes = 0;
  console.log("probing");
  while (!stopped) {
    await isLockHeld(path);
    probes++;
    // A probe never waits on the event loop, and the signal that stops
    // this loop needs a turn of it.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  console.log(`${probes}`);
}
Deno.exit(0);
