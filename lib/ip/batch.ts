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

/** A command in a batch failed. */
export class IpBatchError extends CommandFailedError {
  /** The failing commands, as argv after `ip`, with their messages. */
  readonly failures: ReadonlyArray<{ argv: readonly string[]; stderr: string }>;

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
      this.message = `Command failed: ip ${first.argv.join(" ")}: ` +
        `${first.stderr}${
          failures.length > 1 ? ` (and ${failures.length - 1} more)` : ""
        }`;
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
  const lines = commands.map(check);
  if (lines.length === 0) return;
  if (lines.length === 1) {
    const argv = [IP, "-4", ...lines[0]!];
    const result = await runner.run(argv);
    if (result.code === 0) return;
    if (commands[0]!.tolerate?.test(result.stderr)) return;
    throw new IpBatchError(argv, result, [{
      argv: lines[0]!,
      stderr: result.stderr.trim(),
    }]);
  }
  const stdin = lines.map((line) => line.join(" ")).join("\n") + "\n";
  const argv = [IP, "-4", "-force", "-batch", "-"];
  const result = await runner.run(argv, { stdin });
  if (result.code === 0) return;
  const failures = batchFailures(result.stderr).flatMap(({ line, stderr }) => {
    const command = commands[line - 1];
    if (command?.tolerate?.test(stderr)) return [];
    return [{ argv: lines[line - 1] ?? [], stderr }];
  });
  // A non-zero exit with no "Command failed" line is a failure of the batch
  // process itself; report it whole.
  if (failures.length === 0 && /Command failed -:\d+/.test(result.stderr)) {
    return;
  }
  throw new IpBatchError([...argv, "<<", stdin.trimEnd()], result, failures);
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
