/**
 * The events a hook script receives as its first argument, named as busybox
 * udhcpc names them where the two overlap, and how the client's lease
 * events map onto them.
 *
 * | `LeaseEvent.type` | hook events run, in order |
 * | ----------------- | ------------------------- |
 * | `bound`           | `bound`                   |
 * | `rebooted`        | `bound`                   |
 * | `renewed`         | `renew`                   |
 * | `rebound`         | `rebind`                  |
 * | `expired`         | `expire`, `deconfig`      |
 * | `nak`             | `nak`, `deconfig`         |
 * | `released`        | `release`, `deconfig`     |
 * | `link-down`       | `deconfig`                |
 * | `stopped`         | none                      |
 *
 * Differences from udhcpc:
 *
 * - udhcpc runs `deconfig` when it starts, before any lease; ocidhcp does
 *   not, because it configures the interface itself and may reuse the
 *   address it had (INIT-REBOOT), which a `deconfig` script would flush.
 * - udhcpc reports a renewal and a rebinding both as `renew`; ocidhcp says
 *   `rebind` for the latter. Scripts written for udhcpc usually handle
 *   `renew|bound` together and ignore unknown events, so they keep working.
 * - udhcpc has no `expire` or `release` event; it runs `deconfig` when a
 *   lease is gone. ocidhcp runs the specific event first, so a script can
 *   tell why, then `deconfig`, on which udhcpc scripts flush the interface.
 *   udhcpc also runs `deconfig` after `nak`; so does ocidhcp.
 * - `leasefail` (udhcpc: no lease after all attempts) comes from no lease
 *   event, since none is concerned: the command line runs it when an
 *   acquisition gives up after `--tries` DHCPDISCOVERs (the client then
 *   starts over, as udhcpc does), and for each interface still without a
 *   lease when `--one-shot` times out.
 *
 * @module
 */

import type { LeaseEvent } from "../client/interface_client.ts";

/** The hook event names, in the order of the type {@linkcode HookEvent}. */
export const HOOK_EVENTS = [
  "bound",
  "renew",
  "rebind",
  "expire",
  "nak",
  "release",
  "leasefail",
  "deconfig",
] as const;

/** An event passed to a hook script as its only argument. */
export type HookEvent = typeof HOOK_EVENTS[number];

const PRIMARY: Readonly<Record<LeaseEvent["type"], HookEvent | undefined>> = {
  "bound": "bound",
  "rebooted": "bound",
  "renewed": "renew",
  "rebound": "rebind",
  "expired": "expire",
  "nak": "nak",
  "released": "release",
  "link-down": "deconfig",
  "stopped": undefined,
};

/**
 * Tells whether a string is a hook event name.
 *
 * @param name The candidate.
 * @returns True for one of {@linkcode HOOK_EVENTS}.
 */
export function isHookEvent(name: string): name is HookEvent {
  return (HOOK_EVENTS as readonly string[]).includes(name);
}

/**
 * Maps a lease event of the client to the hook event that names it (see
 * the table in the module notes).
 *
 * @param type The lease event's type.
 * @returns The hook event, or undefined for `stopped`, which runs no hook.
 *
 * @example Map a renewal
 * ```ts
 * import { hookEventFor } from "./hook_event.ts";
 * hookEventFor("renewed"); // "renew"
 * ```
 */
export function hookEventFor(type: LeaseEvent["type"]): HookEvent | undefined {
  return PRIMARY[type];
}

/**
 * Lists every hook event to run, in order, for a lease event: the one
 * {@linkcode hookEventFor} names, followed by `deconfig` when the lease is
 * gone (expired, refused by a DHCPNAK or released), as udhcpc scripts
 * expect to flush the interface then.
 *
 * @param type The lease event's type.
 * @returns The hook events, possibly none.
 *
 * @example Events after an expiry
 * ```ts
 * import { hookEventsFor } from "./hook_event.ts";
 * hookEventsFor("expired"); // ["expire", "deconfig"]
 * ```
 */
export function hookEventsFor(type: LeaseEvent["type"]): HookEvent[] {
  const event = PRIMARY[type];
  if (event === undefined) return [];
  if (event === "expire" || event === "nak" || event === "release") {
    return [event, "deconfig"];
  }
  return [event];
}
