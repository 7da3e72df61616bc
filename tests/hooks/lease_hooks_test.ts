import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import type { LeaseEvent } from "../../lib/client/interface_client.ts";
import type { HookEvent } from "../../lib/hooks/hook_event.ts";
import type { HookResult } from "../../lib/hooks/hook_runner.ts";
import { runLeaseHooks } from "../../lib/hooks/lease_hooks.ts";
import { realisticLease } from "./_fixtures.ts";

/** A runner that records what it was asked to run. */
class RecordingRunner {
  calls: Array<[HookEvent, Record<string, string>]> = [];
  run(event: HookEvent, env: Record<string, string>): Promise<HookResult> {
    this.calls.push([event, env]);
    return Promise.resolve({ event, code: 0, timedOut: false, durationMs: 1 });
  }
}

function leaseEvent(type: LeaseEvent["type"]): LeaseEvent {
  return { type, interface: "eth0", lease: realisticLease() };
}

Deno.test(
  "runLeaseHooks() runs the event, then deconfig without the lease",
  async () => {
    const runner = new RecordingRunner();
    const results = await runLeaseHooks(runner, leaseEvent("expired"), {
      defaultRouteOwner: "eth1",
    });
    assert.deepEqual(results.map((r) => r.event), ["expire", "deconfig"]);
    const [[first, expireEnv], [second, deconfigEnv]] = runner.calls as [
      [HookEvent, Record<string, string>],
      [HookEvent, Record<string, string>],
    ];
    assert.equal(first, "expire");
    assert.equal(expireEnv.ip, "198.18.0.142");
    assert.equal(expireEnv.OCIDHCP_DEFAULT_ROUTE_OWNER, "eth1");
    assert.equal(second, "deconfig");
    assert.equal(deconfigEnv.ip, undefined);
    assert.equal(deconfigEnv.interface, "eth0");
  },
);

Deno.test("runLeaseHooks() runs nothing when the client stops", async () => {
  const runner = new RecordingRunner();
  assert.deepEqual(await runLeaseHooks(runner, leaseEvent("stopped")), []);
  assert.equal(runner.calls.length, 0);
});

Deno.test("runLeaseHooks() logs each value left out as a warning", async () => {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: (record: LogRecord) => records.push(record) },
    loggers: [
      {
        category: ["ocidhcp", "hook"],
        sinks: ["memory"],
        lowestLevel: "debug",
      },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  try {
    const event = leaseEvent("bound");
    event.lease = { ...event.lease, domainName: "evil.com; reboot" };
    const runner = new RecordingRunner();
    await runLeaseHooks(runner, event);
    assert.equal(runner.calls[0]?.[1].domain, undefined);
    const warnings = records.filter((r) => r.level === "warning");
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!.message.map(String).join(""),
      /^eth0: left domain out of the bound hook environment: label/,
    );
  } finally {
    await reset();
  }
});
