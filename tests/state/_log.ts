import { configure, type LogRecord, reset } from "@logtape/logtape";

/**
 * Runs a function with the ocidhcp loggers sent to memory, and returns the
 * records it logged.
 */
export async function captureLogs(
  run: () => Promise<void>,
): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: (record: LogRecord) => records.push(record) },
    loggers: [
      { category: ["ocidhcp"], sinks: ["memory"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "error" },
    ],
  });
  try {
    await run();
  } finally {
    await reset();
  }
  return records;
}
