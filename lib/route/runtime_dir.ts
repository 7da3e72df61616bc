/**
 * The runtime directory shared by every ocidhcp process of one network
 * namespace: its locks and default-route candidacies.
 *
 * @module
 */

import { cString, errno, libc, SystemCallError } from "../ffi/libc.ts";

/** Where per-namespace directories live unless overridden. */
export const RUNTIME_BASE = "/run/ocidhcp";

// struct stat is 144 bytes on x86_64 and 128 on aarch64; st_ino is the u64
// at offset 8 on both.
const STAT_SIZE = 256;
const STAT_INO_OFFSET = 8;

/**
 * Reads the inode of a file through libc, which works where Deno refuses
 * reads of /proc/self without full permissions.
 *
 * @param path The file.
 * @returns Its inode number.
 * @throws {SystemCallError} If stat fails.
 */
export function inodeOf(path: string): bigint {
  const buffer = new Uint8Array(STAT_SIZE);
  if (libc().stat(cString(path), buffer) !== 0) {
    throw new SystemCallError(`stat(${path})`, errno());
  }
  return new DataView(buffer.buffer).getBigUint64(STAT_INO_OFFSET, true);
}

/**
 * Names the runtime directory of the calling process's network namespace:
 * `/run/ocidhcp/net-<inode of /proc/self/ns/net>`, so processes in different
 * namespaces never share one and processes in the same one always do.
 *
 * @param options An explicit directory (such as the caller's reading of
 * `OCIDHCP_RUNTIME_DIR`), or another base directory.
 * @returns The directory path; it is not created.
 * @throws {SystemCallError} If the namespace cannot be identified.
 *
 * @example The default directory
 * ```ts ignore
 * import { runtimeDir } from "./runtime_dir.ts";
 * runtimeDir(); // "/run/ocidhcp/net-4026531840"
 * ```
 */
export function runtimeDir(
  options: { override?: string | undefined; base?: string } = {},
): string {
  if (options.override !== undefined && options.override !== "") {
    return options.override;
  }
  const inode = inodeOf("/proc/self/ns/net");
  return `${options.base ?? RUNTIME_BASE}/net-${inode}`;
}

/**
 * Creates the runtime directory and its subdirectories, readable by the
 * owner only.
 *
 * Synchronous, like every access to this directory: it lives on tmpfs, where
 * a call takes microseconds, and an asynchronous one would cost a round trip
 * through Deno's blocking thread pool on the path to the first DISCOVER.
 *
 * @param dir The runtime directory.
 * @throws {Deno.errors.PermissionDenied} If it cannot be created.
 */
export function ensureRuntimeDir(dir: string): void {
  for (const sub of ["", "/candidates", "/interfaces"]) {
    Deno.mkdirSync(`${dir}${sub}`, { recursive: true, mode: 0o700 });
  }
}
