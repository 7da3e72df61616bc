/**
 * The error of a state file that cannot be written or removed.
 *
 * @module
 */

/**
 * A state file could not be written, replaced or removed: the directory is
 * read-only (EROFS), not accessible (EACCES), full (ENOSPC), or a path
 * component is not a directory (ENOTDIR). Callers log it and keep running:
 * state files help restarts, they are not needed to hold a lease.
 */
export class StateError extends Error {
  /** The file or directory that could not be written. */
  readonly path: string;
  /** The errno name, such as "EROFS", or "EUNKNOWN" when none was given. */
  readonly errno: string;

  /**
   * Creates the error.
   *
   * @param path The file or directory that could not be written.
   * @param errno The errno name.
   * @param options The underlying error, as `cause`.
   */
  constructor(path: string, errno: string, options?: ErrorOptions) {
    super(`Cannot write state file ${path}: ${errno}`, options);
    this.name = "StateError";
    this.path = path;
    this.errno = errno;
  }
}

/**
 * Wraps a file-system error in a {@linkcode StateError}, keeping its errno
 * name; other errors are returned unchanged.
 *
 * @param path The file or directory being written.
 * @param error What was thrown.
 * @returns The error to throw.
 *
 * @example Wrap a failed write
 * ```ts ignore
 * try {
 *   await Deno.writeTextFile(path, text);
 * } catch (error) {
 *   throw toStateError(path, error);
 * }
 * ```
 */
export function toStateError(path: string, error: unknown): unknown {
  if (error instanceof StateError || !(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") {
    // Deno's own errors without an OS code, such as PermissionDenied from
    // its permission checks, still concern the file.
    if (!(error instanceof Deno.errors.PermissionDenied)) return error;
    return new StateError(path, "EACCES", { cause: error });
  }
  return new StateError(path, code, { cause: error });
}
