import assert from "node:assert/strict";
import { type RecordedClient, StateRecorder } from "../../cli/state.ts";
import { statusPath } from "../../lib/state/status_store.ts";
import type { ClientState } from "../../lib/client/state_machine.ts";

function readState(dir: string): string | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(statusPath(dir, "eth0"))).state;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function withRecorder(
  body: (
    recorder: StateRecorder,
    client: { state: ClientState } & RecordedClient,
    dir: string,
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ocidhcp-t-state-" });
  const client = {
    interface: "eth0",
    state: "INIT" as ClientState,
    lease: undefined,
    deadline: undefined,
  };
  const recorder = new StateRecorder(undefined, dir);
  try {
    recorder.attach(new Map([["eth0", client]]));
    await body(recorder, client, dir);
  } finally {
    await recorder.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a burst of state changes is published once, as its last state", async () => {
  await withRecorder(async (recorder, client, dir) => {
    for (const state of ["SELECTING", "REQUESTING", "BOUND"] as const) {
      client.state = state;
      recorder.stateChanged(client);
    }
    // Not on the way to BOUND: the snapshot comes a little later.
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(readState(dir), undefined);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(readState(dir), "BOUND");
  });
});

Deno.test("flush() publishes pending snapshots at once", async () => {
  await withRecorder(async (recorder, client, dir) => {
    client.state = "REQUESTING";
    recorder.stateChanged(client);
    await recorder.flush();
    assert.equal(readState(dir), "REQUESTING");
  });
});
