/**
 * A command runner that changes nothing: it runs the commands that only
 * read (`ip -j ... show`, `ip monitor`) and prints the others.
 *
 * @module
 */

import type { CommandResult, CommandRunner, RunOptions } from "./command.ts";

const READ_ONLY = new Set(["show", "list", "lst", "monitor", "get"]);

/**
 * Tells whether an `ip` argv only reads.
 *
 * @param argv The program and its arguments.
 * @returns True for listing and monitoring commands.
 */
export function isReadOnly(argv: readonly string[]): boolean {
  // JSON output (-j) is only ever asked of listings, batched or not.
  if (argv.includes("-j")) return true;
  return argv.some((arg) => READ_ONLY.has(arg)) && !argv.includes("-batch");
}

/** Runs read-only commands through another runner; prints the rest. */
export class DryRunRunner implements CommandRunner {
  #inner: CommandRunner;
  #print: (line: string) => void;

  /**
   * @param inner Runs the read-only commands for real.
   * @param print Receives one line per command that would change the system.
   */
  constructor(inner: CommandRunner, print: (line: string) => void) {
    this.#inner = inner;
    this.#print = print;
  }

  /** {@inheritDoc CommandRunner.run} */
  run(
    argv: readonly string[],
    options: RunOptions = {},
  ): Promise<CommandResult> {
    if (isReadOnly(argv)) return this.#inner.run(argv, options);
    if (argv.includes("-batch") && options.stdin !== undefined) {
      // Show each batch line as the command it stands for.
      const flags = argv.slice(1, argv.indexOf("-batch"))
        .filter((arg) => arg !== "-force");
      for (const line of options.stdin.split("\n")) {
        if (line.trim() !== "") {
          this.#print([argv[0], ...flags, line.trim()].join(" "));
        }
      }
    } else {
      this.#print(argv.join(" "));
    }
    return Promise.resolve({ code: 0, stdout: "", stderr: "" });
  }
}
