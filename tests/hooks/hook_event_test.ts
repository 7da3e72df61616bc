import assert from "node:assert/strict";
import type { LeaseEvent } from "../../lib/client/interface_client.ts";
import {
  HOOK_EVENTS,
  hookEventFor,
  hookEventsFor,
  isHookEvent,
} from "../../lib/hooks/hook_event.ts";

const TABLE: ReadonlyArray<
  [LeaseEvent["type"], string | undefined, string[]]
> = [
  ["bound", "bound", ["bound"]],
  ["rebooted", "bound", ["bound"]],
  ["renewed", "renew", ["renew"]],
  ["rebound", "rebind", ["rebind"]],
  ["expired", "expire", ["expire", "deconfig"]],
  ["nak", "nak", ["nak", "deconfig"]],
  ["released", "release", ["release", "deconfig"]],
  ["link-down", "deconfig", ["deconfig"]],
  ["stopped", undefined, []],
];

Deno.test(
  "hookEventFor() names each lease event as udhcpc would",
  async (t) => {
    for (const [type, event] of TABLE) {
      await t.step(`${type} -> ${event ?? "none"}`, () => {
        assert.equal(hookEventFor(type), event);
      });
    }
  },
);

Deno.test(
  "hookEventsFor() follows a lost lease with deconfig",
  async (t) => {
    for (const [type, , events] of TABLE) {
      await t.step(`${type} -> [${events.join(", ")}]`, () => {
        assert.deepEqual(hookEventsFor(type), events);
      });
    }
  },
);

Deno.test("isHookEvent() accepts only the hook event names", () => {
  for (const name of HOOK_EVENTS) assert.equal(isHookEvent(name), true);
  for (const name of ["", "renewed", "Bound", "stopped", "bound "]) {
    assert.equal(isHookEvent(name), false, name);
  }
});
