/**
 * Running external programs (iproute2, servers, hooks) with argv arrays.
 *
 * Nothing here goes through a shell: lease data can reach arguments, and a
 * shell would turn a hostile domain name into a command.
 *
 * @module
 */

/** What a finished command produced. */
export interface CommandResult {
  /** The exit code; 128 + N when killed by signal N. */
  code: number;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8. */
  stderr: string;
}

/** Options for one command. */
export interface RunOptions {
  /** Text written to the command's standard input, then closed. */
  stdin?: string;
}

/**
 * Runs a program. Injected wherever ocidhcp changes the system, so tests,
 * dry runs and network namespaces can swap the real one.
 */
export interface CommandRunner {
  /**
   * Runs `argv[0]` with the remaining arguments.
   *
   * @param argv The program and its arguments.
   * @param options Standard input, if any.
   * @returns The exit code and output; a non-zero exit is not an error here.
   * @throws {CommandNotFoundError} If the program cannot be found.
   */
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
}

/** A program ran and exited non-zero. */
export class CommandFailedError extends Error {
  /** The program and its arguments. */
  readonly argv: readonly string[];
  /** The exit code. */
  readonly code: number;
  /** What the program wrote to standard error. */
  readonly stderr: string;

  /**
   * Creates a CommandFailedError.
   *
   * @param argv The program and its arguments.
   * @param result What it produced.
   */
  constructor(argv: readonly string[], result: CommandResult) {
    const stderr = result.stderr.trim();
    super(
      `Command failed with exit code ${result.code}: ${argv.join(" ")}` +
        (stderr ? `: ${stderr}` : ""),
    );
    this.name = "CommandFailedError";
    this.argv = argv;
    this.code = result.code;
    this.stderr = stderr;
  }
}

/** A program could not be started because it is not installed. */
export class CommandNotFoundError extends Error {
  /** The program and its arguments. */
  readonly argv: readonly string[];

  /**
   * Creates a CommandNotFoundError.
   *
   * @param argv The program and its arguments.
   * @param options The underlying error as `cause`.
   */
  constructor(argv: readonly string[], options?: ErrorOptions) {
    super(
      `Cannot run "${argv[0]}": not found in PATH; install it ` +
        `(iproute2 provides "ip") or fix PATH`,
      options,
    );
    this.name = "CommandNotFoundError";
    this.argv = argv;
  }
}

const decoder = new TextDecoder();

/** Runs programs with `Deno.Command`. */
export class DenoCommandRunner implements CommandRunner {
  /** {@inheritDoc CommandRunner.run} */
  async run(
    argv: readonly string[],
    options: RunOptions = {},
  ): Promise<CommandResult> {
    const [program, ...args] = argv;
    if (program === undefined) throw new TypeError("argv must not be empty");
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(program, {
        args,
        stdin: options.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new CommandNotFoundError(argv, { cause: error });
      }
      throw error;
    }
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(new TextEncoder().encode(options.stdin));
      } finally {
        await writer.close().catch(() => {});
      }
    }
    const output = await child.output();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  }
}

/**
 * Runs a command and returns its standard output, failing on a non-zero exit.
 *
 * @param runner The runner to use.
 * @param argv The program and its arguments.
 * @param options Standard input, if any.
 * @returns Standard output.
 * @throws {CommandFailedError} With argv, exit code and stderr on failure.
 */
export async function runChecked(
  runner: CommandRunner,
  argv: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  const result = await runner.run(argv, options);
  if (result.code !== 0) throw new CommandFailedError(argv, result);
  return result.stdout;
}
