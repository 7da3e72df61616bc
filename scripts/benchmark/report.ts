/**
 * The benchmark's results and the table printed from them, with every
 * figure's ratio to ocidhcp's.
 *
 * @module
 */

import type { ClientKind } from "./clients.ts";

/** What was measured for one client at one interface count. */
export interface ClientResult {
  /** The client. */
  client: ClientKind;
  /** The interface count. */
  interfaces: number;
  /** Milliseconds from spawn to configured, one per successful run. */
  times: number[];
  /** Resident memory of all the client's processes once bound, KiB. */
  residentKib: number[];
  /** CPU used from start to bound (with waited-for scripts), ms. */
  startCpuMs: number[];
  /** CPU over the idle window, ms, when measured. */
  idleCpuMs: number | undefined;
  /** Resident memory at the end of the idle window, KiB, when measured. */
  idleResidentKib: number | undefined;
  /** Why runs failed or the client was skipped. */
  notes: string[];
}

/**
 * Computes the median.
 *
 * @param values The values.
 * @returns The median, or undefined for none.
 */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function fixed(value: number | undefined, digits: number): string {
  return value === undefined ? "-" : value.toFixed(digits);
}

function ratio(value: number | undefined, base: number | undefined): string {
  if (value === undefined || base === undefined || base === 0) return "-";
  const r = value / base;
  if (r > 0 && r < 0.01) return "<0.01x";
  return `${r < 10 ? r.toFixed(2) : r.toFixed(0)}x`;
}

const HEADER = [
  "client",
  "ifaces",
  "ok runs",
  "median ms",
  "min ms",
  "max ms",
  "time vs ocidhcp",
  "RSS MiB",
  "RSS vs ocidhcp",
  "start CPU ms",
  "idle CPU ms",
  "idle CPU ms/iface",
  "idle vs ocidhcp",
  "idle RSS MiB",
  "idle RSS vs ocidhcp",
];

/**
 * Turns results into table rows, ratios taken against ocidhcp at the same
 * interface count.
 *
 * @param results The results.
 * @param runs The runs asked for.
 * @returns The header and one row per result.
 */
export function tableRows(
  results: readonly ClientResult[],
  runs: number,
): string[][] {
  const rows = [HEADER];
  for (const result of results) {
    const base = results.find((other) =>
      other.client === "ocidhcp" && other.interfaces === result.interfaces
    );
    const time = median(result.times);
    const rss = median(result.residentKib);
    const rssMib = rss === undefined ? undefined : rss / 1024;
    const baseRss = base === undefined ? undefined : median(base.residentKib);
    const idle = result.idleCpuMs;
    rows.push([
      result.client,
      String(result.interfaces),
      `${result.times.length}/${runs}`,
      fixed(time, 1),
      fixed(result.times.length ? Math.min(...result.times) : undefined, 1),
      fixed(result.times.length ? Math.max(...result.times) : undefined, 1),
      ratio(time, base === undefined ? undefined : median(base.times)),
      fixed(rssMib, 1),
      ratio(rss, baseRss),
      fixed(median(result.startCpuMs), 0),
      fixed(idle, 1),
      fixed(idle === undefined ? undefined : idle / result.interfaces, 2),
      ratio(idle, base?.idleCpuMs),
      fixed(
        result.idleResidentKib === undefined
          ? undefined
          : result.idleResidentKib / 1024,
        1,
      ),
      ratio(result.idleResidentKib, base?.idleResidentKib),
    ]);
  }
  return rows;
}

/**
 * Formats rows as aligned text or as a Markdown table.
 *
 * @param rows The header row first.
 * @param markdown Whether to print Markdown.
 * @returns The table.
 */
export function formatTable(
  rows: readonly string[][],
  markdown: boolean,
): string {
  const widths =
    rows[0]?.map((_, column) =>
      Math.max(...rows.map((row) => (row[column] ?? "").length))
    ) ?? [];
  const line = (row: readonly string[]) =>
    row.map((cell, column) => {
      const width = widths[column] ?? 0;
      return column < 1 ? cell.padEnd(width) : cell.padStart(width);
    });
  if (!markdown) return rows.map((row) => line(row).join("  ")).join("\n");
  const [header, ...body] = rows;
  const separator = widths.map((width, column) =>
    column < 1 ? "-".repeat(width) : `${"-".repeat(Math.max(width - 1, 1))}:`
  );
  return [header ?? [], separator, ...body]
    .map((row) => `| ${line(row).join(" | ")} |`)
    .join("\n");
}
