/**
 * Retransmission and retry delays for a DHCPv4 client.
 *
 * Three schedules, all in milliseconds:
 *
 * - {@linkcode retransmitDelay}: RFC 2131 section 4.1, for DHCPDISCOVER and
 *   for DHCPREQUEST while selecting: 4 s, 8 s, 16 s, 32 s, then 64 s for
 *   every later attempt, each moved by a uniform random -1 to +1 s.
 * - {@linkcode failureDelay}: how long to stay in INIT after an exchange
 *   failed (DHCPNAK, no answer to DHCPREQUEST, an unusable DHCPACK): 1 s
 *   doubling to 64 s, jittered, so that a server answering every request
 *   with DHCPNAK does not turn the client into a DHCPDISCOVER flood.
 * - {@linkcode renewalRetransmitDelay}: RFC 2131 section 4.4.5, for
 *   DHCPREQUEST in RENEWING and REBINDING.
 *
 * @module
 */

const SECOND = 1000;
const RETRANSMIT_FIRST = 4 * SECOND;
const RETRANSMIT_CAP = 64 * SECOND;
const FAILURE_FIRST = 1 * SECOND;
const FAILURE_CAP = 64 * SECOND;
const RENEWAL_FLOOR = 60 * SECOND;

function checkCount(name: string, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new RangeError(
      `${name} must be an integer of at least ${minimum}, got ${value}`,
    );
  }
}

/**
 * Returns how long to wait for an answer before sending a DHCPDISCOVER (or a
 * DHCPREQUEST while selecting) again.
 *
 * RFC 2131 section 4.1 asks for a delay of 4 s before the first
 * retransmission, doubling up to 64 s, randomised by a uniform number
 * between -1 and +1 s.
 *
 * @param attempt How many times the message was already retransmitted: 0
 * after the first transmission.
 * @param random A source of uniform numbers in [0, 1), such as Math.random.
 * @param cap The longest delay before jitter, in milliseconds: 64 s as the
 * RFC says, or less for a client that must notice a late network sooner.
 * @returns The delay in milliseconds, between 1000 and cap + 1000.
 * @throws {RangeError} If attempt is not a non-negative integer, or the cap
 * is not a whole number of milliseconds of at least 2 s.
 *
 * @example Delay after the first transmission
 * ```ts
 * import { retransmitDelay } from "./backoff.ts";
 * retransmitDelay(0, () => 0.5); // 4000
 * ```
 */
export function retransmitDelay(
  attempt: number,
  random: () => number,
  cap: number = RETRANSMIT_CAP,
): number {
  checkCount("Retransmission attempt", attempt, 0);
  checkRetransmitCap(cap);
  // 2 ** 4 * 4 s = 64 s; cap the exponent so huge attempts stay finite.
  const base = Math.min(RETRANSMIT_FIRST * 2 ** Math.min(attempt, 4), cap);
  return base + (random() * 2 - 1) * SECOND;
}

/** The smallest cap for {@linkcode retransmitDelay}: 2 s, minus 1 s jitter. */
export const MIN_RETRANSMIT_CAP = 2 * SECOND;

function checkRetransmitCap(cap: number): void {
  if (!Number.isInteger(cap) || cap < MIN_RETRANSMIT_CAP) {
    throw new RangeError(
      `Retransmission cap must be a whole number of milliseconds of at ` +
        `least ${MIN_RETRANSMIT_CAP}, got ${cap}`,
    );
  }
}

/**
 * Returns how long to wait in INIT before starting a new exchange after
 * consecutive failed ones.
 *
 * The delay doubles from 1 s to 64 s; the actual value is drawn uniformly
 * between half and all of it, so that many containers restarted together
 * do not retry in step.
 *
 * @param consecutiveFailures How many exchanges failed in a row, at least 1.
 * @param random A source of uniform numbers in [0, 1), such as Math.random.
 * @returns The delay in milliseconds, between 500 and 64000.
 * @throws {RangeError} If consecutiveFailures is not a positive integer.
 *
 * @example Delay after the first failure
 * ```ts
 * import { failureDelay } from "./backoff.ts";
 * failureDelay(1, () => 0); // 500
 * ```
 */
export function failureDelay(
  consecutiveFailures: number,
  random: () => number,
): number {
  checkCount("Consecutive failures", consecutiveFailures, 1);
  const base = Math.min(
    FAILURE_FIRST * 2 ** Math.min(consecutiveFailures - 1, 6),
    FAILURE_CAP,
  );
  return base / 2 + random() * (base / 2);
}

/**
 * Returns how long to wait before sending a DHCPREQUEST again in RENEWING
 * or REBINDING.
 *
 * RFC 2131 section 4.4.5: the client waits one-half of the remaining time
 * until T2 (in RENEWING) or until the lease expires (in REBINDING), down to
 * a minimum of 60 s. When less than 60 s remain, the client waits until
 * that deadline itself, so a very short lease gets a single DHCPREQUEST per
 * phase instead of a burst.
 *
 * @param remaining Milliseconds left until T2 (RENEWING) or until the lease
 * expires (REBINDING).
 * @returns The delay in milliseconds, never more than remaining (0 when
 * nothing remains).
 * @throws {RangeError} If remaining is NaN.
 *
 * @example Half of ten minutes
 * ```ts
 * import { renewalRetransmitDelay } from "./backoff.ts";
 * renewalRetransmitDelay(600_000); // 300000
 * ```
 */
export function renewalRetransmitDelay(remaining: number): number {
  if (Number.isNaN(remaining)) {
    throw new RangeError("Remaining time must be a number, got NaN");
  }
  if (remaining <= 0) return 0;
  if (remaining < RENEWAL_FLOOR) return remaining;
  return Math.max(remaining / 2, RENEWAL_FLOOR);
}
