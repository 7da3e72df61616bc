/**
 * Applying several iproute2 commands with one process.
 *
 * Spawning `ip` costs about 2 ms; a lease touches the link, the address and
 * several routes, so its changes go to one `ip -batch -` on standard input.
 *
 * @module
 */

import {
  CommandFailedError,
  type CommandResult,
  type CommandRunner,
} from "../process/command.ts";

/** The iproute2 program; `ip` from PATH. */
export const IP = "ip";

/** One `ip` command for {@linkcode runIpBatch}. */
export interface IpCommand {
  /** The argv after `ip`, optionally starting with "-4". */
  argv: readonly string[];
  /**
   * stderr of a failure that counts as success, such as "No such process"
   * when deleting a route that is already gone, so teardown can repeat.
   */
  tolerate?: RegExp;
}

// What iproute2 says of a device that is not there.
const MISSING_DEVICE = /Cannot find device "([^"]*)"/;

/** A command in a batch failed. */
export class IpBatchError extends CommandFailedError {
  /** The failing commands, as argv after `ip`, with their messages. */
  readonly failures: ReadonlyArray<{ argv: readonly string[]; stderr: string }>;
  /**
   * The interface the first failing command named that does not exist, if
   * that is why it failed: changes to a route or an address need their
   * device.
   */
  readonly missingDevice: string | undefined;

  /**
   * @param argv The batch process's argv with its input appended.
   * @param result What it produced.
   * @param failures The failing commands.
   */
  constructor(
    argv: readonly string[],
    result: CommandResult,
    failures: ReadonlyArray<{ argv: readonly string[]; stderr: string }>,
  ) {
    super(argv, result);
    this.name = "IpBatchError";
    this.failures = failures;
    const first = failures[0];
    if (first !== undefined) {
      const missing = MISSING_DEVICE.exec(first.stderr)?.[1];
      this.missingDevice = missing;
      this.message = `Command failed with exit code ${result.code}: ` +
        `ip ${first.argv.join(" ")}: ${first.stderr}${
          failures.length > 1 ? ` (and ${failures.length - 1} more)` : ""
        }`;
      if (missing !== undefined) {
        this.message = `Interface "${missing}" does not exist in this ` +
          `network namespace; check the name with "ip link" (${this.message})`;
      }
    }
  }
}

function check(command: IpCommand): readonly string[] {
  for (const arg of command.argv) {
    if (arg === "" || /\s/.test(arg)) {
      throw new TypeError(
        `Argument for ip must be non-empty without whitespace, got "${arg}"`,
      );
    }
  }
  return command.argv[0] === "-4" ? command.argv.slice(1) : command.argv;
}

/**
 * Runs iproute2 commands in order, one process for all of them.
 *
 * Arguments must not contain whitespace, since batch lines are split on it;
 * ocidhcp only passes addresses, numbers, keywords and interface names,
 * which the kernel forbids to contain whitespace. The batch runs with
 * `-force`, so every line is tried and each failure is reported.
 *
 * @param runner Runs the `ip` process.
 * @param commands The commands, in order.
 * @returns Nothing; resolves once all succeeded or failed as tolerated.
 * @throws {IpBatchError} Naming each failed command and its stderr.
 * @throws {TypeError} If an argument contains whitespace or is empty.
 */
export async function runIpBatch(
  runner: CommandRunner,
  commands: readonly IpCommand[],
): Promise<void> {
  const outcome = await executeBatch(runner, commands);
  if (outcome === undefined) return;
  if (outcome.whole || outcome.failures.length > 0) {
    throw new IpBatchError(outcome.argv, outcome.result, outcome.failures);
  }
}

/** What one `ip` process made of a list of commands. */
interface BatchOutcome {
  /** Its argv, with the batch input appended for error messages. */
  argv: readonly string[];
  result: CommandResult;
  /** Failures not tolerated, with the index of their command. */
  failures: Array<{ index: number; argv: readonly string[]; stderr: string }>;
  /** The process failed as a whole, not line by line. */
  whole: boolean;
}

// Runs the commands in one process; undefined when there was nothing to
// run or everything succeeded.
async function executeBatch(
  runner: CommandRunner,
  commands: readonly IpCommand[],
): Promise<BatchOutcome | undefined> {
  const lines = commands.map(check);
  if (lines.length === 0) return undefined;
  if (lines.length === 1) {
    const argv = [IP, "-4", ...lines[0]!];
    const result = await runner.run(argv);
    if (result.code === 0) return undefined;
    if (commands[0]!.tolerate?.test(result.stderr)) return undefined;
    const stderr = result.stderr.trim();
    return {
      argv,
      result,
      failures: [{ index: 0, argv: lines[0]!, stderr }],
      whole: false,
    };
  }
  const stdin = lines.map((line) => line.join(" ")).join("\n") + "\n";
  const argv = [IP, "-4", "-force", "-batch", "-"];
  const result = await runner.run(argv, { stdin });
  if (result.code === 0) return undefined;
  const failures = batchFailures(result.stderr).flatMap(({ line, stderr }) => {
    const command = commands[line - 1];
    if (command?.tolerate?.test(stderr)) return [];
    return [{ index: line - 1, argv: lines[line - 1] ?? [], stderr }];
  });
  // A non-zero exit with no "Command failed" line is a failure of the batch
  // process itself; report it whole.
  const whole = !/Command failed -:\d+/.test(result.stderr);
  if (failures.length === 0 && !whole) return undefined;
  return {
    argv: [...argv, "<<", stdin.trimEnd()],
    result,
    failures,
    whole,
  };
}

/**
 * Runs the batches of several callers in one `ip` process when they come
 * together: while one process runs, the batches submitted meanwhile wait
 * and then go as one. With many interfaces bound at once this spares a
 * spawn per lease; a lone batch starts at once.
 *
 * Each caller learns only of its own commands' failures: the combined
 * batch runs with `-force`, so one caller's failing line does not stop
 * the others'.
 *
 * @example Apply the changes of two interfaces
 * ```ts ignore
 * const queue = new IpBatchQueue(new DenoCommandRunner());
 * await Promise.all([
 *   queue.run([{ argv: ["link", "set", "dev", "eth0", "up"] }]),
 *   queue.run([{ argv: ["link", "set", "dev", "eth1", "up"] }]),
 * ]);
 * ```
 */
export class IpBatchQueue {
  #runner: CommandRunner;
  #waiting: Array<
    { commands: readonly IpCommand[]; done: PromiseWithResolvers<void> }
  > = [];
  #running = false;

  /** @param runner Runs the `ip` processes. */
  constructor(runner: CommandRunner) {
    this.#runner = runner;
  }

  /**
   * Runs commands in order, together with any submitted at the same time.
   *
   * @param commands The commands.
   * @returns Nothing; resolves once all succeeded or failed as tolerated.
   * @throws {IpBatchError} Naming each of these commands that failed.
   * @throws {TypeError} If an argument contains whitespace or is empty.
   */
  run(commands: readonly IpCommand[]): Promise<void> {
    // Checked now, so a bad argument fails its own caller only.
    commands.forEach(check);
    if (commands.length === 0) return Promise.resolve();
    const done = Promise.withResolvers<void>();
    this.#waiting.push({ commands, done });
    if (!this.#running) void this.#drain();
    return done.promise;
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#waiting.length > 0) {
      const group = this.#waiting.splice(0);
      const all = group.flatMap((entry) => entry.commands);
      let outcome: BatchOutcome | undefined;
      try {
        outcome = await executeBatch(this.#runner, all);
      } catch (error) {
        for (const entry of group) entry.done.reject(error);
        continue;
      }
      let first = 0;
      for (const entry of group) {
        const end = first + entry.commands.length;
        const own = (outcome?.failures ?? [])
          .filter(({ index }) => index >= first && index < end)
          .map(({ argv, stderr }) => ({ argv, stderr }));
        first = end;
        if (outcome !== undefined && (outcome.whole || own.length > 0)) {
          entry.done.reject(
            new IpBatchError(outcome.argv, outcome.result, own),
          );
        } else {
          entry.done.resolve();
        }
      }
    }
    this.#running = false;
  }
}

// `ip -force -batch` prints a failing line's messages, then
// "Command failed -:N" naming its line number.
function batchFailures(stderr: string): { line: number; stderr: string }[] {
  const out: { line: number; stderr: string }[] = [];
  let pending: string[] = [];
  for (const text of stderr.split("\n")) {
    const match = /^Command failed -:(\d+)$/.exec(text.trim());
    if (match) {
      out.push({ line: Number(match[1]), stderr: pending.join("\n") });
      pending = [];
    } else if (text.trim() !== "") {
      pending.push(text.trim());
    }
  }
  return out;
}
