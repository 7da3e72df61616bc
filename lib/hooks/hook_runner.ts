/**
 * Runs a hook script the way udhcpc runs its `-s` script: the event as the
 * only argument, the lease in the environment. A hook can never stall or
 * crash the client: failures are logged, not thrown, and a hook that hangs
 * is killed.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { libc } from "../ffi/libc.ts";
import type { HookEvent } from "./hook_event.ts";

const logger = getLogger(["ocidhcp", "hook"]);

/** Options of {@linkcode HookRunner}. */
export interface HookRunnerOptions {
  /**
   * How long a hook may run before it is sent SIGTERM, in milliseconds.
   *
   * @default {10000}
   */
  timeoutMs?: number;
  /**
   * How long after SIGTERM a hook still running is sent SIGKILL, in
   * milliseconds.
   *
   * @default {2000}
   */
  killGraceMs?: number;
  /**
   * How many bytes of each of stdout and stderr are kept for the log; the
   * rest is read and dropped so the hook never blocks on a full pipe.
   *
   * @default {65536}
   */
  maxOutputBytes?: number;
}

/** How a hook run ended. */
export interface HookResult {
  /** The event the hook was run for. */
  event: HookEvent;
  /**
   * The exit code (128 + the signal number when killed by a signal), or
   * undefined when the hook could not be started or did not die.
   */
  code: number | undefined;
  /** Whether the hook was killed for running longer than the timeout. */
  timedOut: boolean;
  /** Milliseconds from the start of the run until it was settled. */
  durationMs: number;
}

// After SIGKILL the kernel reaps a process at once unless it is stuck in
// an uninterruptible sleep; this bounds the wait for that case.
const REAP_MS = 200;
// How long to keep reading output after the hook exited: a daemon it
// started in the background may hold the pipes open for ever.
const DRAIN_MS = 100;

function checkDuration(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(
      `${name} must be a finite number of at least ${min}, got ${value}`,
    );
  }
}

function delay<T>(ms: number, value: T): {
  promise: Promise<T>;
  cancel: () => void;
} {
  let id: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<T>((resolve) => {
    id = setTimeout(() => resolve(value), ms);
  });
  return { promise, cancel: () => clearTimeout(id) };
}

/** Reads a stream to its end, keeping at most `limit` bytes. */
class Capture {
  #chunks: Uint8Array[] = [];
  #kept = 0;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>, limit: number) {
    const reader = stream.getReader();
    this.#reader = reader;
    this.done = (async () => {
      try {
        while (true) {
          const { value, done } = await reader.read();
          if (done) return;
          if (this.#kept < limit) {
            const part = value.subarray(0, limit - this.#kept);
            this.#chunks.push(part);
            this.#kept += part.length;
          }
        }
      } catch {
        // Cancelled, or the pipe failed: keep what was read.
      }
    })();
  }

  cancel(): void {
    this.#reader.cancel().catch(() => {});
  }

  lines(): string[] {
    const bytes = new Uint8Array(this.#kept);
    let at = 0;
    for (const chunk of this.#chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    const text = new TextDecoder().decode(bytes);
    return text.split("\n").filter((line) => line.length > 0);
  }
}

/**
 * Runs one hook script for lease events.
 *
 * Each run spawns `[path, event]` directly, with no shell, a cleared
 * environment plus the given one, stdin from /dev/null and stdout and
 * stderr logged at debug level. A non-zero exit is logged as a warning; a
 * script that cannot be started is logged as an error saying what to fix.
 * A script still running after the timeout is sent SIGTERM, and SIGKILL
 * after the grace period; both go to its whole process group (it runs in
 * a process group of its own, made by setsid), so commands it started die
 * with it.
 *
 * Runs for the same interface (the `interface` entry of the environment)
 * happen one after another in the order {@linkcode HookRunner.run} was
 * called, so a `bound` is never overtaken by a later `deconfig`; runs for
 * different interfaces may overlap.
 *
 * Limitations: signalling the process group needs either the `run`
 * permission for every program (`--allow-run` without a list) or
 * `--allow-ffi`; with neither only the script itself is signalled, and
 * commands it started outlive a timeout. A background process the
 * script leaves behind when it exits normally keeps running; its output
 * after the script exited is not read, so it should redirect it.
 *
 * @example Run a udhcpc-style script
 * ```ts ignore
 * const runner = new HookRunner("/etc/ocidhcp/hook.sh", { timeoutMs: 5000 });
 * const { env } = hookEnvironment({
 *   event: "bound",
 *   interface: "eth0",
 *   lease,
 * });
 * const result = await runner.run("bound", env);
 * ```
 */
export class HookRunner {
  #path: string;
  #timeoutMs: number;
  #killGraceMs: number;
  #maxOutputBytes: number;
  #queues = new Map<string, Promise<void>>();

  /**
   * Creates a runner; nothing is checked on disk until a run.
   *
   * @param path The script to run.
   * @param options Timeout, kill grace and output limit.
   * @throws {TypeError} If the path is empty or has a NUL.
   * @throws {RangeError} If a duration is negative or not finite, the
   * timeout below 1 ms, or the output limit negative.
   */
  constructor(path: string, options: HookRunnerOptions = {}) {
    if (path.length === 0 || path.includes("\0")) {
      throw new TypeError(
        `Hook path must be non-empty and without NUL, got ` +
          JSON.stringify(path),
      );
    }
    const timeoutMs = options.timeoutMs ?? 10000;
    const killGraceMs = options.killGraceMs ?? 2000;
    const maxOutputBytes = options.maxOutputBytes ?? 65536;
    checkDuration("Hook timeout", timeoutMs, 1);
    checkDuration("Hook kill grace", killGraceMs, 0);
    checkDuration("Hook output limit", maxOutputBytes, 0);
    this.#path = path;
    this.#timeoutMs = timeoutMs;
    this.#killGraceMs = killGraceMs;
    this.#maxOutputBytes = maxOutputBytes;
  }

  /** The script this runner runs. */
  get path(): string {
    return this.#path;
  }

  /**
   * Runs the script for an event, after any earlier run for the same
   * interface has finished.
   *
   * Never rejects. Once started, a run settles within the timeout plus the
   * kill grace (plus a moment for the kernel to reap a killed process).
   *
   * @param event The event, passed as the script's only argument.
   * @param env The script's whole environment (see `hookEnvironment`).
   * @returns How the run ended.
   */
  run(event: HookEvent, env: Record<string, string>): Promise<HookResult> {
    const key = env.interface ?? "";
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const result = previous.then(() =>
      this.#execute(event, env, key).catch((error) => {
        // Not expected: #execute handles every failure it knows of.
        logger.error("{interface}: hook {path} {event} failed: {error}", {
          interface: key,
          path: this.#path,
          event,
          error,
        });
        return { event, code: undefined, timedOut: false, durationMs: 0 };
      })
    );
    const tail = result.then(() => {}, () => {});
    this.#queues.set(key, tail);
    tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return result;
  }

  async #execute(
    event: HookEvent,
    env: Record<string, string>,
    iface: string,
  ): Promise<HookResult> {
    const start = performance.now();
    const path = this.#path;
    const ended = (code: number | undefined, timedOut: boolean) => ({
      event,
      code,
      timedOut,
      durationMs: performance.now() - start,
    });
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(path, {
        args: [event],
        clearEnv: true,
        env,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        // setsid() gives it its own process group for a timeout to kill.
        detached: true,
      }).spawn();
    } catch (error) {
      logStartFailure(iface, path, event, error);
      return ended(undefined, false);
    }
    logger.debug("{interface}: running hook {path} {event}", {
      interface: iface,
      path,
      event,
      pid: child.pid,
    });
    const stdout = new Capture(child.stdout, this.#maxOutputBytes);
    const stderr = new Capture(child.stderr, this.#maxOutputBytes);
    const status = child.status.then((s) => s, () => undefined);
    let timedOut = false;
    const timeout = delay(this.#timeoutMs, "timeout" as const);
    let outcome = await Promise.race([status, timeout.promise]);
    timeout.cancel();
    if (outcome === "timeout") {
      timedOut = true;
      logger.warning(
        "{interface}: hook {path} {event} still running after {timeoutMs} " +
          "ms, sending SIGTERM",
        { interface: iface, path, event, timeoutMs: this.#timeoutMs },
      );
      signalGroup(child, "SIGTERM");
      const grace = delay(this.#killGraceMs, "timeout" as const);
      outcome = await Promise.race([status, grace.promise]);
      grace.cancel();
      if (outcome === "timeout") {
        logger.warning(
          "{interface}: hook {path} {event} ignored SIGTERM for " +
            "{killGraceMs} ms, sending SIGKILL",
          { interface: iface, path, event, killGraceMs: this.#killGraceMs },
        );
        signalGroup(child, "SIGKILL");
        const reap = delay(REAP_MS, "timeout" as const);
        outcome = await Promise.race([status, reap.promise]);
        reap.cancel();
      }
    }
    const drain = delay(DRAIN_MS, undefined);
    await Promise.race([
      Promise.all([stdout.done, stderr.done]),
      drain.promise,
    ]);
    drain.cancel();
    stdout.cancel();
    stderr.cancel();
    const captures: Array<[string, Capture]> = [
      ["stdout", stdout],
      ["stderr", stderr],
    ];
    for (const [stream, capture] of captures) {
      for (const line of capture.lines()) {
        logger.debug("{interface}: hook {event} {stream}: {line}", {
          interface: iface,
          event,
          stream,
          line,
        });
      }
    }
    if (outcome === "timeout" || outcome === undefined) {
      logger.error(
        "{interface}: hook {path} {event} (pid {pid}) did not exit after " +
          "SIGKILL",
        { interface: iface, path, event, pid: child.pid },
      );
      return ended(undefined, timedOut);
    }
    const result = ended(outcome.code, timedOut);
    if (!timedOut && (outcome.code === 126 || outcome.code === 127)) {
      // The shell's codes for "cannot execute" and "not found" (POSIX
      // 2.8.2); Deno also runs a file without #! through /bin/sh.
      logger.warning(
        "{interface}: hook {path} {event} exited with code {code}: it or a " +
          "command it runs was not found or not executable; check its #! " +
          "line and that its commands are on PATH ({PATH})",
        {
          interface: iface,
          path,
          event,
          code: outcome.code,
          PATH: env.PATH ?? "unset",
        },
      );
    } else if (!timedOut && outcome.code !== 0) {
      logger.warning(
        "{interface}: hook {path} {event} exited with code {code}",
        {
          interface: iface,
          path,
          event,
          code: outcome.code,
          signal: outcome.signal,
        },
      );
    } else {
      logger.debug(
        "{interface}: hook {path} {event} exited with code {code} after " +
          "{durationMs} ms",
        {
          interface: iface,
          path,
          event,
          code: outcome.code,
          durationMs: Math.round(result.durationMs),
        },
      );
    }
    return result;
  }
}

// Linux signal numbers, for libc's kill.
const SIGNAL_NUMBERS = { SIGTERM: 15, SIGKILL: 9 } as const;

/**
 * Signals the hook's process group: with Deno.kill when the `run`
 * permission is unrestricted, else with libc's kill when FFI is allowed,
 * else only the hook itself.
 */
function signalGroup(
  child: Deno.ChildProcess,
  signal: keyof typeof SIGNAL_NUMBERS,
): void {
  try {
    Deno.kill(-child.pid, signal);
    return;
  } catch {
    // Try the other ways below.
  }
  try {
    if (libc().kill(-child.pid, SIGNAL_NUMBERS[signal]) === 0) return;
  } catch {
    // No FFI permission.
  }
  try {
    child.kill(signal);
  } catch {
    // It exited meanwhile.
  }
}

function logStartFailure(
  iface: string,
  path: string,
  event: HookEvent,
  error: unknown,
): void {
  const properties = { interface: iface, path, event, error };
  if (error instanceof Deno.errors.NotFound) {
    logger.error(
      "{interface}: hook {path} does not exist, so {event} was not run; " +
        "give the path of an executable script",
      properties,
    );
  } else if (error instanceof Deno.errors.PermissionDenied) {
    logger.error(
      "{interface}: hook {path} cannot be executed, so {event} was not " +
        "run; make it executable (chmod +x) and its directories searchable",
      properties,
    );
  } else if (error instanceof TypeError) {
    logger.error(
      "{interface}: cannot start hook {path} for {event}: {error}",
      properties,
    );
  } else if (error instanceof Deno.errors.NotCapable) {
    logger.error(
      "{interface}: not allowed to run hook {path}, so {event} was not " +
        "run; grant it with --allow-run={path}",
      properties,
    );
  } else {
    logger.error(
      "{interface}: cannot run hook {path} for {event}: {error}; check " +
        "that it is an executable file starting with #!",
      properties,
    );
  }
}
