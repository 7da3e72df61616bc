/**
 * Watches a namespace's addresses and routes with `ip -ts monitor`, so the
 * moment a client has configured everything is taken from the kernel's
 * notifications rather than from polling, which would steal CPU from the
 * client being measured on a small machine.
 *
 * @module
 */

/** An `ip monitor` line, split into its timestamp and its text. */
interface Event {
  /** Wall-clock milliseconds since the epoch, microsecond precision. */
  at: number;
  /** The line after the timestamp. */
  text: string;
}

// `ip -ts` prints "[2026-12-03T19:45:19.589917] ..." in local time; the
// monitor runs with TZ=UTC so it can be read back exactly.
const STAMP = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\] (.*)$/;
const ADDRESS = /^(Deleted )?\d+: (\S+)\s+inet (\d+\.\d+\.\d+\.\d+\/\d+)/;
const DEFAULT_ROUTE = /^(Deleted )?default (?:via \S+ )?dev (\S+)/;
const SYNC_ADDRESS = "127.0.0.254/8";

/** The moment a namespace reached the configured state. */
export interface Configured {
  /** Wall-clock milliseconds since the epoch. */
  at: number;
}

/**
 * One `ip monitor address route` process for a namespace, tracking which
 * interfaces have an IPv4 address and which carry a default route.
 */
export class NamespaceMonitor {
  /** The monitor's process id, to leave out of the client's processes. */
  readonly pid: number;
  #namespace: string;
  #child: Deno.ChildProcess;
  #addresses = new Map<string, Set<string>>();
  #defaults = new Set<string>();
  #listeners = new Set<(event: Event) => void>();
  #pending = "";
  #done: Promise<void>;

  private constructor(namespace: string) {
    this.#namespace = namespace;
    this.#child = new Deno.Command("ip", {
      args: ["-ts", "-n", namespace, "monitor", "address", "route"],
      env: { TZ: "UTC" },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.pid = this.#child.pid;
    this.#done = this.#read();
  }

  /**
   * Starts a monitor and waits until it receives notifications.
   *
   * @param namespace The network namespace to watch.
   * @returns The running monitor.
   * @throws {Error} If the monitor sees nothing within 5 s.
   */
  static async start(namespace: string): Promise<NamespaceMonitor> {
    const monitor = new NamespaceMonitor(namespace);
    await monitor.sync();
    return monitor;
  }

  async #read(): Promise<void> {
    const stream = this.#child.stdout.pipeThrough(new TextDecoderStream());
    for await (const chunk of stream) {
      this.#pending += chunk;
      const lines = this.#pending.split("\n");
      this.#pending = lines.pop() ?? "";
      for (const line of lines) {
        const match = STAMP.exec(line);
        if (match === null) continue;
        const [, seconds, micros, text] = match;
        const at = Date.parse(`${seconds}Z`) + Number(micros) / 1000;
        this.#apply(text ?? "");
        for (const listener of this.#listeners) {
          listener({ at, text: text ?? "" });
        }
      }
    }
  }

  #apply(text: string): void {
    const address = ADDRESS.exec(text);
    if (address !== null) {
      const [, deleted, device = "", value = ""] = address;
      const set = this.#addresses.get(device) ?? new Set<string>();
      if (deleted) set.delete(value);
      else set.add(value);
      this.#addresses.set(device, set);
      return;
    }
    const route = DEFAULT_ROUTE.exec(text);
    if (route !== null && !text.includes(" table ")) {
      const [, deleted, device = ""] = route;
      if (deleted) this.#defaults.delete(device);
      else this.#defaults.add(device);
    }
  }

  /**
   * Makes sure every notification of changes made so far has been read,
   * by adding and removing a loopback address and waiting for both.
   *
   * @returns When the monitor has caught up.
   * @throws {Error} If it has not within 5 s.
   */
  async sync(): Promise<void> {
    const seen = Promise.withResolvers<void>();
    const listener = (event: Event) => {
      if (event.text.startsWith("Deleted ") && event.text.includes(" lo ")) {
        seen.resolve();
      }
    };
    this.#listeners.add(listener);
    const timer = setTimeout(
      () => seen.reject(new Error("ip monitor saw nothing within 5 s")),
      5000,
    );
    try {
      for (const verb of ["add", "del"]) {
        const ip = new Deno.Command("ip", {
          args: [
            "-n",
            this.#namespace,
            "addr",
            verb,
            SYNC_ADDRESS,
            "dev",
            "lo",
          ],
          stdout: "null",
          stderr: "null",
        });
        await ip.output();
      }
      await seen.promise;
    } finally {
      clearTimeout(timer);
      this.#listeners.delete(listener);
    }
  }

  /** Forgets what was seen, after the namespace has been reset. */
  clear(): void {
    this.#addresses.clear();
    this.#defaults.clear();
  }

  #configured(interfaces: readonly string[]): boolean {
    return this.#defaults.size > 0 &&
      interfaces.every((name) => (this.#addresses.get(name)?.size ?? 0) > 0);
  }

  /**
   * Waits until every interface has an IPv4 address and some interface a
   * default route in the main table.
   *
   * @param interfaces The interfaces that must have an address.
   * @param options The time limit, and a signal that gives up early (such
   * as the client exiting).
   * @returns The kernel's timestamp of the notification that completed the
   * state, or undefined on timeout or abort.
   */
  waitConfigured(
    interfaces: readonly string[],
    options: { timeoutMs: number; abort?: Promise<unknown> },
  ): Promise<Configured | undefined> {
    const result = Promise.withResolvers<Configured | undefined>();
    const listener = (event: Event) => {
      if (this.#configured(interfaces)) result.resolve({ at: event.at });
    };
    this.#listeners.add(listener);
    const timer = setTimeout(
      () => result.resolve(undefined),
      options.timeoutMs,
    );
    options.abort?.then(() => result.resolve(undefined));
    return result.promise.finally(() => {
      clearTimeout(timer);
      this.#listeners.delete(listener);
    });
  }

  /**
   * Tells what is configured now, for a failure report.
   *
   * @returns Interfaces with addresses, and default route devices.
   */
  describe(): string {
    const addressed = [...this.#addresses]
      .filter(([, set]) => set.size > 0)
      .map(([name]) => name);
    return `addresses on [${addressed.join(", ")}], default route on ` +
      `[${[...this.#defaults].join(", ")}]`;
  }

  /**
   * Stops the monitor.
   *
   * @returns When it has exited.
   */
  async close(): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await this.#child.status;
    await this.#done.catch(() => {});
  }
}
