/**
 * Waiting for a condition in end-to-end tests, with a message that says
 * what was expected when it does not come.
 */

/**
 * Polls a condition until it holds.
 *
 * @param condition Checked every 25 ms.
 * @param timeoutMs How long to wait.
 * @param explain Builds the failure message.
 * @throws {Error} With the explanation when time runs out.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  explain: () => string | Promise<string>,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  if (await condition()) return;
  throw new Error(await explain());
}
