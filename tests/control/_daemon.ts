// A stand-in for a running client: claims the interfaces given as
// arguments in the runtime directory given first, publishes their status,
// prints "ready", then prints what each SIGUSR1 asks for as one JSON line.
import { actionsForSignal, takeRequests } from "../../lib/control/requests.ts";
import { claimInterface } from "../../lib/route/interface_claim.ts";
import { ensureRuntimeDir } from "../../lib/route/runtime_dir.ts";
import { writeStatus } from "../../lib/state/status_store.ts";

const [dir, ...names] = Deno.args;
if (dir === undefined) throw new TypeError("Runtime directory missing");
await ensureRuntimeDir(dir);
const claims = [];
for (const name of names) {
  claims.push(await claimInterface(dir, name));
  await writeStatus(dir, {
    interface: name,
    pid: Deno.pid,
    state: "BOUND",
    updatedAt: Date.now(),
  });
}
Deno.addSignalListener("SIGUSR1", async () => {
  const actions = actionsForSignal(await takeRequests(dir, names), names);
  console.log(JSON.stringify(Object.fromEntries(actions)));
});
console.log("ready");
// Signal listeners do not keep Deno's event loop alive; a timer does, until
// the process is killed.
setInterval(() => {}, 60_000);
