/**
 * A stand-in client process for the cross-process arbiter tests: offers one
 * interface's default route, prints "ready <result>", and withdraws on
 * SIGTERM. Run inside the lab namespace with `ip netns exec`.
 *
 * Usage: _arbiter_proc.ts <runtime dir> <interface> <gateway>
 *
 * @module
 */

import { DenoCommandRunner } from "../../lib/process/command.ts";
import { DefaultRouteArbiter } from "../../lib/route/arbiter.ts";

const [runtimeDir, name, gateway] = Deno.args;
if (runtimeDir === undefined || name === undefined || gateway === undefined) {
  console.error("usage: _arbiter_proc.ts <runtime dir> <interface> <gateway>");
  Deno.exit(2);
}
const arbiter = await DefaultRouteArbiter.open({
  runner: new DenoCommandRunner(),
  runtimeDir,
});
const stopped = new Promise<void>((resolve) => {
  Deno.addSignalListener("SIGTERM", () => resolve());
});
const result = await arbiter.offer(name, {
  destination: "default",
  gateway,
  device: name,
});
console.log(`ready ${result}`);
await stopped;
await arbiter.close();
console.log("closed");
Deno.exit(0);
