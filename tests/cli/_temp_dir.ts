/**
 * A temporary directory for one end-to-end test, removed however the test
 * ends.
 */

/**
 * Runs work with a fresh temporary directory, then removes it.
 *
 * @param prefix The directory name's prefix.
 * @param work What to do with the directory.
 * @returns What work returned.
 */
export async function withTempDir<T>(
  prefix: string,
  work: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await work(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
