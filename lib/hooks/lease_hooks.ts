/**
 * Runs the hook script for a lease event of the client: the hook events
 * {@linkcode hookEventsFor} lists, each with its environment.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { LeaseEvent } from "../client/interface_client.ts";
import { hookEnvironment } from "./hook_environment.ts";
import { type HookEvent, hookEventsFor } from "./hook_event.ts";
import type { HookResult } from "./hook_runner.ts";

const logger = getLogger(["ocidhcp", "hook"]);

/** What {@linkcode runLeaseHooks} needs of a runner (a `HookRunner`). */
export interface HookRunnerLike {
  /**
   * Runs the hook for one event after earlier runs for the interface.
   *
   * @param event The hook event.
   * @param env The hook's environment.
   * @returns How the run ended; never rejects.
   */
  run(event: HookEvent, env: Record<string, string>): Promise<HookResult>;
}

/** Options of {@linkcode runLeaseHooks}. */
export interface LeaseHookOptions {
  /** The interface that owns the default route, when known. */
  defaultRouteOwner?: string;
}

/**
 * Runs the hook for a lease event: each hook event of
 * {@linkcode hookEventsFor} in order (the specific event, then `deconfig`
 * when the lease is gone), with the lease in the environment. Values left
 * out of the environment as unsafe are logged as warnings.
 *
 * The runs are queued at once, in order, so the caller need not await the
 * result to keep the order of later events.
 *
 * @param runner The hook runner.
 * @param event The client's lease event.
 * @param options The default-route owner.
 * @returns The results, one per hook event run (none for `stopped`).
 *
 * @example Run hooks from the supervisor's events
 * ```ts ignore
 * const runner = new HookRunner("/etc/ocidhcp/hook.sh");
 * supervisor.start({
 *   interfaces: ["eth0"],
 *   onEvent: (event) => {
 *     if (event.type !== "default-route") void runLeaseHooks(runner, event);
 *   },
 * });
 * ```
 */
export function runLeaseHooks(
  runner: HookRunnerLike,
  event: LeaseEvent,
  options: LeaseHookOptions = {},
): Promise<HookResult[]> {
  const runs: Promise<HookResult>[] = [];
  for (const hookEvent of hookEventsFor(event.type)) {
    const input = {
      event: hookEvent,
      interface: event.interface,
      lease: event.lease,
      ...(options.defaultRouteOwner === undefined
        ? {}
        : { defaultRouteOwner: options.defaultRouteOwner }),
    };
    const { env, rejected } = hookEnvironment(input);
    for (const { name, reason } of rejected) {
      logger.warning(
        "{interface}: left {name} out of the {event} hook environment: " +
          "{reason}",
        { interface: event.interface, name, event: hookEvent, reason },
      );
    }
    runs.push(runner.run(hookEvent, env));
  }
  return Promise.all(runs);
}
