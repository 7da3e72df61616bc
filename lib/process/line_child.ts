/**
 * A long-running child whose standard output is read line by line, such as
 * `ip monitor`.
 *
 * @module
 */

import { CommandNotFoundError } from "./command.ts";

/** Starts a child with stdout piped; injected to enter a namespace. */
export type SpawnChild = (argv: readonly string[]) => Deno.ChildProcess;

/**
 * Starts a child with stdin and stderr closed and stdout piped.
 *
 * @param argv The program and its arguments.
 * @returns The child.
 * @throws {CommandNotFoundError} If the program is not on PATH.
 */
export function spawnChild(argv: readonly string[]): Deno.ChildProcess {
  const [program, ...args] = argv;
  if (program === undefined) throw new TypeError("argv must not be empty");
  try {
    return new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new CommandNotFoundError(argv, { cause: error });
    }
    throw error;
  }
}

/** Runs a child and hands each complete line of its output to a callback. */
export class LineChild {
  #child: Deno.ChildProcess;
  #done: Promise<void>;

  /**
   * Starts the child.
   *
   * @param argv The program and its arguments.
   * @param onLine Called with each line, without its line break.
   * @param spawn Starts the child.
   * @throws {CommandNotFoundError} If the program is not on PATH.
   */
  constructor(
    argv: readonly string[],
    onLine: (line: string) => void,
    spawn: SpawnChild = spawnChild,
  ) {
    const child = spawn(argv);
    this.#child = child;
    this.#done = (async () => {
      let buffer = "";
      try {
        const text = child.stdout.pipeThrough(new TextDecoderStream());
        for await (const chunk of text) {
          buffer += chunk;
          const lines = buffer.split("\n");
          buffer = lines.pop() ?? "";
          for (const line of lines) onLine(line);
        }
      } catch {
        // The stream errors when the child is killed.
      }
      await child.status;
    })();
  }

  /**
   * Stops the child and waits until it has exited and its output is read.
   *
   * @returns When done.
   */
  async stop(): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    await this.#done;
  }
}
