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
 * Reads one process's CPU time in nanoseconds, summed over its threads from
 * `schedstat` (nanosecond resolution; `stat` counts 10 ms ticks, too coarse
 * for an idle client), falling back to utime + stime from `stat`.
 *
 * @param pid The process id.
 * @returns The CPU time, or undefined when the process is gone.
 */
export function cpuNanoseconds(pid: number): number | undefined {
  let tasks: string[] = [];
  try {
    tasks = [...Deno.readDirSync(`/proc/${pid}/task`)].map((e) => e.name);
  } catch {
    return undefined;
  }
  let total = 0;
  let found = false;
  for (const task of tasks) {
    const text = readOptional(`/proc/${pid}/task/${task}/schedstat`);
    const first = text?.split(" ")[0];
    if (first === undefined || first === "") continue;
    total += Number(first);
    found = true;
  }
  if (found) return total;
  const stat = readOptional(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // Fields after the command name, which is in parentheses and may hold
  // spaces: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks * (1e9 / CLOCK_TICKS_PER_SECOND);
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
 * Measures the CPU time processes use over a window.
 *
 * @param pids The process ids.
 * @param milliseconds The window length.
 * @returns The CPU time in milliseconds; a process that exits during the
 * window counts only until its last reading, before the window.
 */
export async function cpuOverWindowMs(
  pids: readonly number[],
  milliseconds: number,
): Promise<number> {
  const before = new Map<number, number>();
  for (const pid of pids) {
    const value = cpuNanoseconds(pid);
    if (value !== undefined) before.set(pid, value);
  }
  await new Promise((resolve) => setTimeout(resolve, milliseconds));
  let total = 0;
  for (const [pid, start] of before) {
    const end = cpuNanoseconds(pid);
    if (end !== undefined && end >= start) total += end - start;
  }
  return total / 1e6;
}
