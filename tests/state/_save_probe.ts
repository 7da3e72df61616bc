// Saves a lease into the directory given as the first argument and prints
// the outcome as JSON, for tests that need a read-only mount.
import { LeaseStore } from "../../lib/state/lease_store.ts";
import { StateError } from "../../lib/state/state_error.ts";
import { sampleLease } from "./_fixtures.ts";

try {
  await new LeaseStore(Deno.args[0]).save(sampleLease());
  console.log(JSON.stringify({ saved: true }));
} catch (error) {
  if (!(error instanceof StateError)) throw error;
  console.log(JSON.stringify({
    name: error.name,
    path: error.path,
    errno: error.errno,
    message: error.message,
  }));
}
