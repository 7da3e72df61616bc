/**
 * What the benchmark reads from /proc about the client processes: resident
 * memory and CPU time. A process that exits between listing and reading is
 * skipped, since a client's hook scripts come and go.
 *
 * @module
 */

// USER_HZ: the unit of utime and stime in /proc/<pid>/stat on Linux.
const CLOCK_TICKS_PER_SECOND = 100;

function readOptional(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    // A process that exited while its files were read.
    if (error instanceof Deno.errors.PermissionDenied) return undefined;
    throw error;
  }
}

/**
 * Sums the resident set size (VmRSS) of processes.
 *
 * @param pids The process ids.
 * @returns The total in KiB; a process that has exited counts 0.
 */
export function residentKib(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    const status = readOptional(`/proc/${pid}/status`);
    const match = status?.match(/^VmRSS:\s+(\d+)\s+kB$/m);
    if (match?.[1] !== undefined) total += Number(match[1]);
  }
  return total;
}

/**
 * Reads the CPU time of each thread of a process, in nanoseconds, from
 * `schedstat` (nanosecond resolution; `stat` counts 10 ms ticks, too coarse
 * for an idle client).
 *
 * @param pid The process id.
 * @returns CPU time by thread id; empty when the process is gone.
 */
export function threadCpuNanoseconds(pid: number): Map<string, number> {
  const threads = new Map<string, number>();
  let tasks: string[] = [];
  try {
    tasks = [...Deno.readDirSync(`/proc/${pid}/task`)].map((e) => e.name);
  } catch {
    return threads;
  }
  for (const task of tasks) {
    const first = readOptional(`/proc/${pid}/task/${task}/schedstat`)
      ?.split(" ")[0];
    if (first !== undefined && first !== "") threads.set(task, Number(first));
  }
  return threads;
}

/**
 * Sums what threads used between two readings: the growth of each thread
 * present at both, and all of each thread started in between. A thread that
 * ended in between (Deno's blocking-pool threads end after 10 idle seconds)
 * counts for nothing: its share of the window cannot be read any more, and
 * subtracting its earlier total, as a difference of process sums would,
 * could hide the work of every other thread.
 *
 * @param before The first reading.
 * @param after The second reading.
 * @returns Nanoseconds.
 */
export function cpuBetween(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): number {
  let total = 0;
  for (const [thread, value] of after) {
    const start = before.get(thread) ?? 0;
    if (value > start) total += value - start;
  }
  return total;
}

/**
 * Reads the CPU time of processes and of the children they have waited
 * for (utime + stime + cutime + cstime), which counts the hook scripts a
 * client ran to configure itself.
 *
 * @param pids The process ids.
 * @returns The total in milliseconds, at 10 ms resolution.
 */
export function cpuWithChildrenMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readOptional(`/proc/${pid}/stat`);
    if (stat === undefined) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    for (const index of [11, 12, 13, 14]) ticks += Number(fields[index]);
  }
  return ticks * (1000 / CLOCK_TICKS_PER_SECOND);
}

/**
 * Measures the CPU time processes use over a window, thread by thread (see
 * {@linkcode cpuBetween}).
 *
 * @param pids The process ids.
 * @param milliseconds The window length.
 * @returns The CPU time in milliseconds; a process that exits during the
 * window counts for nothing.
 */
export async function cpuOverWindowMs(
  pids: readonly number[],
  milliseconds: number,
): Promise<number> {
  const before = new Map(pids.map((pid) => [pid, threadCpuNanoseconds(pid)]));
  await new Promise((resolve) => setTimeout(resolve, milliseconds));
  let total = 0;
  for (const [pid, threads] of before) {
    total += cpuBetween(threads, threadCpuNanoseconds(pid));
  }
  return total / 1e6;
}
