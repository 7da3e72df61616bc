/**
 * The one place ocidhcp configures LogTape: library code only logs.
 *
 * @module
 */

import {
  configureSync,
  getTextFormatter,
  jsonLinesFormatter,
  type LogLevel,
  type LogRecord,
} from "@logtape/logtape";

/** The log line formats the command line offers. */
export type LogFormat = "text" | "json";

const encoder = new TextEncoder();

/**
 * Sends every log record of ocidhcp to standard error.
 *
 * Writes are synchronous, so a line logged right before exit is not lost.
 *
 * @param level The lowest level to print.
 * @param format Text lines for people, JSON lines for machines.
 */
export function configureLogging(level: LogLevel, format: LogFormat): void {
  const formatter = format === "json" ? jsonLinesFormatter : getTextFormatter({
    timestamp: "date-time",
    category: ".",
    // Strings print bare ("eth0", not "\"eth0\""); lease data is never
    // logged unescaped elsewhere, so control characters are escaped here.
    value: (value) =>
      typeof value === "string"
        ? JSON.stringify(value).slice(1, -1)
        : Deno.inspect(value),
  });
  const sink = (record: LogRecord): void => {
    Deno.stderr.writeSync(encoder.encode(formatter(record)));
  };
  configureSync({
    reset: true,
    sinks: { stderr: sink },
    loggers: [
      { category: ["ocidhcp"], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
}
