/**
 * Replaces a file's contents so that readers see the old or the new text,
 * never a mix or a truncated file.
 *
 * @module
 */

import { toStateError } from "./state_error.ts";

/**
 * Writes a text file atomically: the text goes to a temporary file in the
 * same directory, which is flushed to disk and then renamed over the target
 * (rename(2) replaces a name atomically within one file system).
 *
 * Limitations: the directory itself is not synced, so after a power loss the
 * rename may be lost and the old file (or none) found; never a partial one.
 *
 * @param path The file to replace.
 * @param text Its new contents.
 * @param options The mode of a new file, 0o600 by default.
 * @throws {StateError} If the directory cannot be written.
 *
 * @example Replace a file
 * ```ts ignore
 * await writeFileAtomic("/run/ocidhcp/net-1/status/eth0.json", "{}\n");
 * ```
 */
export async function writeFileAtomic(
  path: string,
  text: string,
  options: { mode?: number } = {},
): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : path.slice(0, slash);
  const base = path.slice(slash + 1);
  // Unique per writer, so concurrent writers never share a temporary file.
  const temporary = `${dir}/.${base}.${Deno.pid}.` +
    `${crypto.randomUUID().slice(0, 8)}.tmp`;
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(temporary, {
      write: true,
      createNew: true,
      mode: options.mode ?? 0o600,
    });
    const bytes = new TextEncoder().encode(text);
    let written = 0;
    while (written < bytes.length) {
      written += await file.write(bytes.subarray(written));
    }
    await file.sync();
    file.close();
    file = undefined;
    await Deno.rename(temporary, path);
  } catch (error) {
    file?.close();
    await Deno.remove(temporary).catch(() => {});
    throw toStateError(path, error);
  }
}

/**
 * Creates a directory and its parents.
 *
 * @param dir The directory.
 * @param mode The mode of directories created.
 * @throws {StateError} If it cannot be created.
 */
export async function makeDirectory(dir: string, mode: number): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode });
  } catch (error) {
    throw toStateError(dir, error);
  }
}

/**
 * Removes a file; a missing file is not an error.
 *
 * @param path The file.
 * @throws {StateError} If it exists and cannot be removed.
 */
export async function removeFile(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw toStateError(path, error);
  }
}
