/**
 * Replaces a file's contents so that readers see the old or the new text,
 * never a mix or a truncated file.
 *
 * @module
 */

import { toStateError } from "./state_error.ts";

/**
 * Writes a text file atomically: the text goes to a temporary file in the
 * same directory, which is then renamed over the target (rename(2) replaces
 * a name atomically within one file system). A reader, or the next process
 * after this one is killed, sees the old text or the new, never a mix.
 *
 * Nothing is flushed to disk: the files written this way are status files
 * on tmpfs and the lease store, a hint for INIT-REBOOT that a DISCOVER
 * replaces when it is lost, and an fsync took 10 to 20 ms on the path to
 * "configured". For the same reason the calls are synchronous: a write of
 * a few hundred bytes into the page cache takes microseconds, where each
 * asynchronous call is a round trip through Deno's blocking thread pool,
 * up to a millisecond while the client starts. The functions still return
 * promises, and report failures by rejecting them.
 *
 * Limitations: after a power loss or a kernel crash the file may be the old
 * one, missing or empty; readers must treat an unreadable file as absent.
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
export function writeFileAtomic(
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
  try {
    Deno.writeTextFileSync(temporary, text, {
      createNew: true,
      mode: options.mode ?? 0o600,
    });
    Deno.renameSync(temporary, path);
  } catch (error) {
    try {
      Deno.removeSync(temporary);
    } catch {
      // Never created, or already gone.
    }
    return Promise.reject(toStateError(path, error));
  }
  return Promise.resolve();
}

/**
 * Creates a directory and its parents.
 *
 * @param dir The directory.
 * @param mode The mode of directories created.
 * @throws {StateError} If it cannot be created.
 */
export function makeDirectory(dir: string, mode: number): Promise<void> {
  try {
    Deno.mkdirSync(dir, { recursive: true, mode });
  } catch (error) {
    return Promise.reject(toStateError(dir, error));
  }
  return Promise.resolve();
}

/**
 * Removes a file; a missing file is not an error.
 *
 * @param path The file.
 * @throws {StateError} If it exists and cannot be removed.
 */
export function removeFile(path: string): Promise<void> {
  try {
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      return Promise.reject(toStateError(path, error));
    }
  }
  return Promise.resolve();
}
