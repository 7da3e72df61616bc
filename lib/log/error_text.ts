/**
 * The text of a thrown value, for log lines and error messages.
 *
 * @module
 */

/**
 * Returns what to print of a thrown value: an Error's message, or anything
 * else (a string, a number thrown by foreign code) as a string.
 *
 * @param error Whatever was thrown.
 * @returns The text.
 *
 * @example Print an error
 * ```ts
 * import { errorText } from "./error_text.ts";
 * errorText(new TypeError("bad input")); // "bad input"
 * errorText("plain"); // "plain"
 * ```
 */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
