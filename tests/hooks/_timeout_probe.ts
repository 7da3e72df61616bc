/**
 * Runs a hook with a 300 ms timeout and prints the result as JSON: the
 * runner test starts this under narrow permissions.
 */

import { HookRunner } from "../../lib/hooks/hook_runner.ts";

const [path] = Deno.args;
if (path === undefined) throw new TypeError("Usage: _timeout_probe.ts HOOK");
const runner = new HookRunner(path, { timeoutMs: 300, killGraceMs: 300 });
console.log(JSON.stringify(await runner.run("bound", { interface: "eth0" })));
