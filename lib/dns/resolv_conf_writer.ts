/**
 * Replacement of resolv.conf that works when the file is bind-mounted, as
 * container runtimes do, and that can put the original back.
 *
 * Two ways to replace the file are used:
 *
 * - When the file is not a mount point, the new text goes to a temporary
 *   file in the same directory, is flushed, and is renamed over the target.
 *   rename(2) is atomic: readers see the old file or the new one, never a
 *   partial one, and a failed write (ENOSPC) leaves the old file untouched.
 * - When it is a mount point, renaming over it fails with EBUSY (or, seen
 *   from another mount namespace, would detach the container from the
 *   runtime's file), so it is rewritten in place and keeps its inode: the
 *   whole text is encoded first, then the file is truncated and written
 *   with back-to-back synchronous calls. A reader can see an empty file in
 *   the microseconds between the two calls (resolvers then use their
 *   defaults for that one lookup), never a mix of old and new lines. If the
 *   write fails after the truncation, the old text is written back.
 *
 * A mount point is recognised by a device number that differs from its
 * directory's (a bind mount from another filesystem, the usual case);
 * a bind mount from the same filesystem is recognised by the EBUSY that
 * rename(2) returns, after which the in-place way is taken.
 *
 * Limitations: a bind mount made in another mount namespace (the target
 * seen from the host) is invisible from here and is replaced by rename.
 * Writers in other processes are not coordinated with. A symbolic link is
 * followed and its target rewritten.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";

const logger = getLogger(["ocidhcp", "dns"]);

/** A failed read or write of resolv.conf. */
export class ResolvConfError extends Error {
  /** The file that could not be read or written. */
  readonly path: string;
  /** The errno name, such as "EROFS" or "ENOSPC", when the OS gave one. */
  readonly code: string | undefined;

  /**
   * Creates a ResolvConfError.
   *
   * @param path The file.
   * @param operation What failed, such as "write".
   * @param cause The underlying error.
   */
  constructor(path: string, operation: string, cause: unknown) {
    const code = errorCode(cause);
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      `Cannot ${operation} ${path}: ${code === undefined ? "" : `${code}, `}` +
        detail,
      { cause },
    );
    this.name = "ResolvConfError";
    this.path = path;
    this.code = code;
  }
}

/** What {@linkcode ResolvConfWriter.write} did. */
export type WriteOutcome = "written" | "unchanged";

/**
 * Writes resolv.conf without leaving it half-written, keeping the inode of
 * a bind-mounted file, and remembers the text it had before the first
 * write so that {@linkcode ResolvConfWriter.restore} can put it back.
 *
 * Calls on one writer run one after another.
 *
 * @example Write, then restore on exit
 * ```ts
 * import { ResolvConfWriter } from "./resolv_conf_writer.ts";
 * const writer = new ResolvConfWriter();
 * await writer.write("nameserver 192.0.2.53\n"); // "written"
 * await writer.write("nameserver 192.0.2.53\n"); // "unchanged"
 * await writer.restore();
 * ```
 */
export class ResolvConfWriter {
  #path: string;
  // undefined: nothing written yet; null: the file did not exist.
  #original: Uint8Array | null | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * Creates a ResolvConfWriter.
   *
   * @param path The file to manage.
   */
  constructor(path: string = "/etc/resolv.conf") {
    this.#path = path;
  }

  /** The file this writer manages. */
  get path(): string {
    return this.#path;
  }

  /**
   * Replaces the file's content, unless it already is exactly `content`
   * (renewals then cause no write at all).
   *
   * @param content The complete new text.
   * @returns "unchanged" when nothing had to be written, else "written".
   * @throws {ResolvConfError} If the file cannot be read or written, with
   * the errno name (EROFS, ENOSPC, EACCES) in `code`; the old content is
   * then still in place.
   */
  write(content: string): Promise<WriteOutcome> {
    return this.#serial(async () => {
      const bytes = new TextEncoder().encode(content);
      const target = await resolveTarget(this.#path);
      const current = await readOrNull(target);
      if (current !== null && sameBytes(current, bytes)) {
        logger.debug("{path}: unchanged", { path: target });
        return "unchanged";
      }
      if (this.#original === undefined) this.#original = current;
      await replace(target, bytes, current);
      return "written";
    });
  }

  /**
   * Puts back the text the file had before this writer first changed it,
   * or removes the file if it did not exist then. Does nothing if nothing
   * was written since the last restore.
   *
   * @returns When the original is back.
   * @throws {ResolvConfError} If the file cannot be read or written.
   */
  restore(): Promise<void> {
    return this.#serial(async () => {
      const original = this.#original;
      if (original === undefined) return;
      const target = await resolveTarget(this.#path);
      if (original === null) {
        try {
          await Deno.remove(target);
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) {
            throw new ResolvConfError(target, "remove", error);
          }
        }
      } else {
        const current = await readOrNull(target);
        if (current === null || !sameBytes(current, original)) {
          await replace(target, original, current);
        }
      }
      this.#original = undefined;
      logger.debug("{path}: restored the original", { path: target });
    });
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(work);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}

async function replace(
  target: string,
  bytes: Uint8Array,
  current: Uint8Array | null,
): Promise<void> {
  if (current !== null && await isMountPoint(target)) {
    writeInPlace(target, bytes, current);
    return;
  }
  try {
    await writeByRename(target, bytes);
  } catch (error) {
    const code = errorCode(error instanceof ResolvConfError ? error.cause : 0);
    // EBUSY: a bind mount from the same filesystem; EXDEV: a mount the
    // device check missed. Both leave the target untouched.
    if (current === null || (code !== "EBUSY" && code !== "EXDEV")) {
      throw error;
    }
    writeInPlace(target, bytes, current);
  }
}

async function writeByRename(target: string, bytes: Uint8Array): Promise<void> {
  const slash = target.lastIndexOf("/");
  const dir = slash === -1 ? "." : slash === 0 ? "/" : target.slice(0, slash);
  const base = target.slice(slash + 1);
  const temp = `${dir}/.${base}.ocidhcp-${crypto.randomUUID().slice(0, 8)}`;
  let old: Deno.FileInfo | undefined;
  try {
    old = await Deno.stat(target);
  } catch {
    old = undefined;
  }
  try {
    const file = await Deno.open(temp, { write: true, createNew: true });
    let created: Deno.FileInfo;
    try {
      await writeAll(file, bytes);
      await file.syncData();
      created = await file.stat();
    } finally {
      file.close();
    }
    // The replacement must look like the old file to other users of it.
    // Owners are compared with the new file's, not Deno.uid(), which would
    // need --allow-sys.
    await Deno.chmod(temp, old?.mode == null ? 0o644 : old.mode & 0o7777);
    if (
      old?.uid != null && old.gid != null &&
      (old.uid !== created.uid || old.gid !== created.gid)
    ) {
      await Deno.chown(temp, old.uid, old.gid);
    }
    await Deno.rename(temp, target);
    logger.debug("{path}: replaced by rename", { path: target });
  } catch (error) {
    await Deno.remove(temp).catch(() => undefined);
    throw new ResolvConfError(target, "write", error);
  }
}

function writeInPlace(
  target: string,
  bytes: Uint8Array,
  old: Uint8Array,
): void {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(target, { write: true });
  } catch (error) {
    throw new ResolvConfError(target, "write", error);
  }
  try {
    // Synchronous on purpose: nothing else runs between the truncation and
    // the write, which keeps the empty-file window as short as it can be.
    file.truncateSync(0);
    writeAllSync(file, bytes);
    logger.debug("{path}: rewritten in place", { path: target });
  } catch (error) {
    try {
      // The truncation freed the old text's blocks, so it fits again. The
      // offset is wherever the failed write stopped: rewind, or the text
      // would land after a hole of zeros.
      file.truncateSync(0);
      file.seekSync(0, Deno.SeekMode.Start);
      writeAllSync(file, old);
    } catch {
      // The original error is the one worth reporting.
    }
    throw new ResolvConfError(target, "write", error);
  } finally {
    file.close();
  }
}

async function isMountPoint(target: string): Promise<boolean> {
  const slash = target.lastIndexOf("/");
  const dir = slash === -1 ? "." : slash === 0 ? "/" : target.slice(0, slash);
  try {
    const [file, parent] = await Promise.all([
      Deno.stat(target),
      Deno.stat(dir),
    ]);
    return file.dev !== parent.dev;
  } catch (error) {
    throw new ResolvConfError(target, "stat", error);
  }
}

async function resolveTarget(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    // Missing (or a dangling link): create the file at the given path.
    return path;
  }
}

async function readOrNull(path: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new ResolvConfError(path, "read", error);
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await file.write(bytes.subarray(done));
}

function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) {
    return undefined;
  }
  return typeof error.code === "string" ? error.code : undefined;
}
