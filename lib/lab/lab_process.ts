/**
 * A program running in the lab, with its output kept line by line so tests
 * can wait for what it logs.
 *
 * @module
 */

/** Which stream a line came from. */
export type OutputStream = "stdout" | "stderr";

/** One line a lab process wrote. */
export interface OutputLine {
  /** The stream it was written to. */
  stream: OutputStream;
  /** The text, without the line break. */
  text: string;
}

/** Options for {@linkcode LabProcess.spawn}. */
export interface LabProcessOptions {
  /** Extra environment variables for the program. */
  env?: Record<string, string>;
  /** A label used in error messages, such as "dnsmasq on link 0". */
  label?: string;
}

/** A lab process ended or did not print what was expected in time. */
export class LabProcessError extends Error {
  /** Everything the process wrote so far. */
  readonly output: string;

  /**
   * @param message What went wrong.
   * @param output Everything the process wrote so far.
   */
  constructor(message: string, output: string) {
    super(`${message}; output so far:\n${output}`);
    this.name = "LabProcessError";
    this.output = output;
  }
}

interface Waiter {
  pattern: RegExp;
  resolve: (line: string) => void;
  reject: (error: Error) => void;
}

/**
 * A child process whose standard output and error are collected as lines.
 * Nothing is ever dropped: a test that fails can print the whole output.
 */
export class LabProcess {
  /** The argv the process was started with. */
  readonly argv: readonly string[];
  /** The process id. */
  readonly pid: number;
  /** Settles when the process has exited and its output is read. */
  readonly status: Promise<Deno.CommandStatus>;
  #label: string;
  #lines: OutputLine[] = [];
  #waiters = new Set<Waiter>();
  #exited: Deno.CommandStatus | undefined;
  #child: Deno.ChildProcess;

  private constructor(
    argv: readonly string[],
    child: Deno.ChildProcess,
    label: string,
  ) {
    this.argv = argv;
    this.#child = child;
    this.pid = child.pid;
    this.#label = label;
    const readers = Promise.all([
      this.#collect(child.stdout, "stdout"),
      this.#collect(child.stderr, "stderr"),
    ]);
    this.status = (async () => {
      const status = await child.status;
      // A grandchild can keep the pipes open long after the child is gone;
      // wait for the last lines only briefly.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        readers,
        new Promise((resolve) => timer = setTimeout(resolve, 200)),
      ]);
      clearTimeout(timer);
      this.#exited = status;
      for (const waiter of this.#waiters) {
        waiter.reject(
          new LabProcessError(
            `${label} exited with code ${status.code} before ` +
              `printing a line matching ${waiter.pattern}`,
            this.output(),
          ),
        );
      }
      this.#waiters.clear();
      return status;
    })();
  }

  /**
   * Starts a program with piped output and no standard input.
   *
   * @param argv The program and its arguments.
   * @param options Environment and label.
   * @returns The running process.
   * @throws {TypeError} If argv is empty.
   * @throws {Deno.errors.NotFound} If the program does not exist.
   */
  static spawn(
    argv: readonly string[],
    options: LabProcessOptions = {},
  ): LabProcess {
    const [program, ...args] = argv;
    if (program === undefined) throw new TypeError("argv must not be empty");
    const child = new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      ...(options.env === undefined ? {} : { env: options.env }),
    }).spawn();
    return new LabProcess(argv, child, options.label ?? program);
  }

  async #collect(
    stream: ReadableStream<Uint8Array>,
    name: OutputStream,
  ): Promise<void> {
    let pending = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const text of parts) this.#add({ stream: name, text });
    }
    if (pending !== "") this.#add({ stream: name, text: pending });
  }

  #add(line: OutputLine): void {
    this.#lines.push(line);
    for (const waiter of this.#waiters) {
      if (waiter.pattern.test(line.text)) {
        this.#waiters.delete(waiter);
        waiter.resolve(line.text);
      }
    }
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.#exited !== undefined;
  }

  /**
   * Returns the lines written so far, in the order they were read.
   *
   * @param stream Only the lines from this stream, if given.
   * @returns A copy of the lines.
   */
  lines(stream?: OutputStream): OutputLine[] {
    return this.#lines.filter((line) =>
      stream === undefined || line.stream === stream
    );
  }

  /**
   * Returns everything written so far as text.
   *
   * @returns The lines joined with line breaks, stderr lines marked.
   */
  output(): string {
    return this.#lines.map((line) =>
      line.stream === "stderr" ? `[stderr] ${line.text}` : line.text
    ).join("\n");
  }

  /**
   * Waits for a line matching a pattern, looking at the lines already
   * written first.
   *
   * @param pattern The pattern a line must match.
   * @param timeoutMs How long to wait.
   * @returns The first matching line.
   * @throws {LabProcessError} With the output, if the time runs out or the
   * process exits first.
   */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string> {
    const seen = this.#lines.find((line) => pattern.test(line.text));
    if (seen !== undefined) return Promise.resolve(seen.text);
    if (this.#exited !== undefined) {
      return Promise.reject(
        new LabProcessError(
          `${this.#label} exited with code ${this.#exited.code} without ` +
            `printing a line matching ${pattern}`,
          this.output(),
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new LabProcessError(
            `${this.#label} printed no line matching ${pattern} within ` +
              `${timeoutMs} ms`,
            this.output(),
          ),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /**
   * Sends a signal, unless the process has already exited.
   *
   * @param signal The signal, such as "SIGUSR1".
   */
  signal(signal: Deno.Signal): void {
    if (this.#exited !== undefined) return;
    try {
      this.#child.kill(signal);
    } catch (error) {
      // The process may exit between the check and the kill.
      if (!(error instanceof TypeError)) throw error;
    }
  }

  /**
   * Stops the process: SIGTERM, then SIGKILL if it is still running after
   * the grace period.
   *
   * @param graceMs How long to wait after SIGTERM.
   * @returns The exit status.
   */
  async stop(graceMs = 3000): Promise<Deno.CommandStatus> {
    this.signal("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.signal("SIGKILL");
        resolve();
      }, graceMs);
    });
    try {
      await Promise.race([this.status, killed]);
      return await this.status;
    } finally {
      clearTimeout(timer);
    }
  }
}
