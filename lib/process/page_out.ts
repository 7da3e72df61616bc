/**
 * Dropping the program's start-up code from its resident set once it is
 * idle.
 *
 * A bound client spends hours waiting for a timer, but its resident set
 * still holds every page of the runtime's executable that start-up touched:
 * module loading, process spawning, the FFI bindings, some 30 MB. These
 * pages are clean copies of the file, so unmapping them loses nothing: the
 * next access (a renewal) faults the few pages it needs back in from the
 * page cache. `madvise(MADV_DONTNEED)` unmaps them now. The page cache keeps
 * the file's pages as clean, unmapped memory, the first the kernel reclaims
 * when a container nears its memory limit. (`MADV_PAGEOUT` would also evict
 * them from the page cache, but costs six times the CPU: some 30 ms against
 * 5 ms here, on every page-out.)
 *
 * Only the executable's own segments that the program headers mark
 * read-only are advised, found from the headers the kernel mapped (Deno
 * allows /proc/self/maps only with every permission). For a private file
 * mapping, MADV_DONTNEED also discards pages the process changed, so a
 * segment is advised only when nothing can have changed it: its mapping
 * has no write permission, and the executable has no text relocations
 * (DT_TEXTREL), which would have the loader patch read-only code at start.
 * Writable data, the heap and shared libraries are left alone.
 *
 * Limitations: a debugger's software breakpoints in the executable's code
 * are written into such pages and are lost when they are dropped.
 *
 * @module
 */

import { errno, errnoName, libc } from "../ffi/libc.ts";

const MADV_DONTNEED = 4;
// getauxval(3) keys: where the kernel put the executable's program headers,
// how many there are, and the page size.
const AT_PHDR = 3n;
const AT_PHNUM = 5n;
const AT_PAGESZ = 6n;
// ELF64 layouts and constants (elf.h).
const PHDR_SIZE = 56;
const DYN_SIZE = 16;
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_PHDR = 6;
const PF_W = 2;
const DT_NULL = 0n;
const DT_TEXTREL = 22n;
const DT_FLAGS = 30n;
const DF_TEXTREL = 4n;

/** A range of the executable's memory. */
export interface PagedOutRegion {
  /** First byte, page-aligned. */
  start: bigint;
  /** One past the last byte, page-aligned. */
  end: bigint;
}

/** What {@linkcode pageOutExecutable} did. */
export interface PageOutResult {
  /** The ranges advised. */
  regions: PagedOutRegion[];
  /** Why nothing (or not everything) was dropped, if so. */
  error?: string;
}

/** One program header, as far as a page-out needs it. */
export interface ProgramHeader {
  /** p_type: PT_LOAD, PT_DYNAMIC, ... */
  type: number;
  /** p_flags: PF_R, PF_W, PF_X. */
  flags: number;
  /** p_vaddr: where the segment starts, before the load bias. */
  vaddr: bigint;
  /** p_memsz: its size in memory. */
  memsz: bigint;
}

/**
 * Reads an ELF64 program header table as the kernel mapped it.
 *
 * @param table The table's bytes.
 * @param address Where the table is mapped; with its PT_PHDR entry this
 * gives the load bias of a position-independent executable.
 * @returns The headers, and the bias to add to each address.
 */
export function parseProgramHeaders(
  table: DataView,
  address: bigint,
): { bias: bigint; headers: ProgramHeader[] } {
  const headers: ProgramHeader[] = [];
  for (let at = 0; at + PHDR_SIZE <= table.byteLength; at += PHDR_SIZE) {
    headers.push({
      type: table.getUint32(at, true),
      flags: table.getUint32(at + 4, true),
      vaddr: table.getBigUint64(at + 16, true),
      memsz: table.getBigUint64(at + 40, true),
    });
  }
  const self = headers.find((header) => header.type === PT_PHDR);
  // Without PT_PHDR the executable is not position-independent: bias 0.
  return { bias: self === undefined ? 0n : address - self.vaddr, headers };
}

/**
 * Finds the loadable segments mapped without write permission.
 *
 * @param headers The program headers.
 * @param bias The load bias.
 * @param pageSize The page size, to which the ranges are widened.
 * @returns Their mapped ranges, in header order.
 */
export function readOnlySegments(
  headers: readonly ProgramHeader[],
  bias: bigint,
  pageSize: bigint,
): PagedOutRegion[] {
  const regions: PagedOutRegion[] = [];
  for (const header of headers) {
    if (header.type !== PT_LOAD || (header.flags & PF_W) !== 0) continue;
    const first = bias + header.vaddr;
    const start = first - first % pageSize;
    const last = first + header.memsz;
    const end = (last + pageSize - 1n) / pageSize * pageSize;
    if (end > start) regions.push({ start, end });
  }
  return regions;
}

/**
 * Tells whether a dynamic section asks the loader to patch read-only
 * segments (DT_TEXTREL, or DF_TEXTREL in DT_FLAGS).
 *
 * @param dynamic The section's bytes, up to DT_NULL or its end.
 * @returns Whether it has text relocations.
 */
export function hasTextRelocations(dynamic: DataView): boolean {
  for (let at = 0; at + DYN_SIZE <= dynamic.byteLength; at += DYN_SIZE) {
    const tag = dynamic.getBigInt64(at, true);
    const value = dynamic.getBigUint64(at + 8, true);
    if (tag === DT_NULL) return false;
    if (tag === DT_TEXTREL) return true;
    if (tag === DT_FLAGS && (value & DF_TEXTREL) !== 0n) return true;
  }
  return false;
}

function mapped(address: bigint, length: number): DataView | undefined {
  const pointer = Deno.UnsafePointer.create(address);
  if (pointer === null || length === 0) return undefined;
  return new DataView(
    new Deno.UnsafePointerView(pointer).getArrayBuffer(length),
  );
}

/**
 * Drops the executable's read-only pages from this process's resident
 * set. Safe at any time: a page that is needed again is read back on
 * access.
 *
 * @returns The ranges advised, and why not, where nothing was done.
 * @throws {Deno.errors.NotCapable} Without `--allow-ffi`.
 */
export function pageOutExecutable(): PageOutResult {
  const c = libc();
  const address = BigInt(c.getauxval(AT_PHDR));
  const count = Number(c.getauxval(AT_PHNUM));
  const pageSize = BigInt(c.getauxval(AT_PAGESZ));
  const table = mapped(address, count * PHDR_SIZE);
  if (table === undefined || pageSize === 0n) {
    return { regions: [], error: "no program headers" };
  }
  const { bias, headers } = parseProgramHeaders(table, address);
  const dynamic = headers.find((header) => header.type === PT_DYNAMIC);
  if (dynamic !== undefined) {
    const section = mapped(bias + dynamic.vaddr, Number(dynamic.memsz));
    if (section !== undefined && hasTextRelocations(section)) {
      return { regions: [], error: "the executable has text relocations" };
    }
  }
  const regions = readOnlySegments(headers, bias, pageSize);
  const result: PageOutResult = { regions };
  for (const region of regions) {
    const length = region.end - region.start;
    if (c.madvise(region.start, length, MADV_DONTNEED) !== 0) {
      result.error ??= errnoName(errno());
    }
  }
  return result;
}

/**
 * Pages the executable out once the process has been quiet for a while:
 * each {@linkcode IdlePageOut.poke} (a lease applied, a renewal) restarts
 * the wait, so a burst of work pays for its page faults only once.
 */
export class IdlePageOut {
  #delayMs: number;
  #onResult: (result: PageOutResult | Error) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * Creates an IdlePageOut; nothing happens before the first poke.
   *
   * @param options How long the process must be quiet, and who hears of
   * each page-out (the result, or the error that prevented it).
   */
  constructor(options: {
    delayMs: number;
    onResult: (result: PageOutResult | Error) => void;
  }) {
    this.#delayMs = options.delayMs;
    this.#onResult = options.onResult;
  }

  /** Notes activity: the page-out waits for another quiet period. */
  poke(): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const timer = setTimeout(() => {
      this.#timer = undefined;
      let result: PageOutResult | Error;
      try {
        result = pageOutExecutable();
      } catch (error) {
        result = error instanceof Error ? error : new Error(String(error));
      }
      this.#onResult(result);
    }, this.#delayMs);
    // A pending page-out never keeps the process alive.
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Cancels a pending page-out; later pokes do nothing. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
