import { configure, type LogRecord, reset } from "@logtape/logtape";

/**
 * Sends the ocidhcp loggers to memory until disposed; the records are
 * collected in `records`.
 */
export async function logsToMemory(): Promise<
  { records: LogRecord[] } & AsyncDisposable
> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: (record: LogRecord) => records.push(record) },
    loggers: [
      { category: ["ocidhcp"], sinks: ["memory"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "error" },
    ],
  });
  return { records, [Symbol.asyncDispose]: () => reset() };
}

/**
 * Runs a function with the ocidhcp loggers sent to memory, and returns the
 * records it logged.
 */
export async function captureLogs(
  run: () => Promise<void>,
): Promise<LogRecord[]> {
  await using logs = await logsToMemory();
  await run();
  return logs.records;
}
