/**
 * Listing and changing IPv4 routes with iproute2.
 *
 * @module
 */

import {
  CommandFailedError,
  type CommandResult,
  type CommandRunner,
} from "../process/command.ts";
import { parseRoutes, type Route, routeArgv } from "./route.ts";
import { DeviceNotFoundError } from "../ip/device_not_found_error.ts";

export { DeviceNotFoundError };

/** A route change for {@linkcode IpRoute.apply}. */
export interface RouteChange {
  /** What to do with the route. */
  mode: "add" | "replace" | "delete" | "flush";
  /** The route; `device` is required. */
  route: Route;
}

const MISSING_DEVICE = /Cannot find device "([^"]*)"/;
// The kernel answers ESRCH when a route to delete does not exist.
const NO_SUCH_ROUTE = /No such process/;

function failure(
  argv: readonly string[],
  result: CommandResult,
  fallbackDevice?: string,
): CommandFailedError {
  const missing = MISSING_DEVICE.exec(result.stderr);
  if (missing) {
    return new DeviceNotFoundError(
      missing[1] ?? fallbackDevice ?? "",
      argv,
      result,
    );
  }
  return new CommandFailedError(argv, result);
}

/**
 * Lists and changes routes by running `ip`.
 *
 * @example Replace the default route
 * ```ts ignore
 * import { IpRoute } from "./ip_route.ts";
 * import { DenoCommandRunner } from "../process/command.ts";
 *
 * const ip = new IpRoute(new DenoCommandRunner());
 * await ip.apply([{
 *   mode: "replace",
 *   route: { destination: "default", gateway: "198.18.0.1", device: "eth0" },
 * }]);
 * const routes = await ip.list({ table: "main" });
 * ```
 */
export class IpRoute {
  #runner: CommandRunner;

  /**
   * Creates a route manager.
   *
   * @param runner Runs `ip`; inject one that enters a namespace in tests.
   */
  constructor(runner: CommandRunner) {
    this.#runner = runner;
  }

  /**
   * Lists the IPv4 routes of a table.
   *
   * @param options The table (main unless given) and optionally a device;
   * without a device, or with one that does not exist, the whole table is
   * listed across all devices.
   * @returns The routes, destinations normalised.
   * @throws {CommandFailedError} If `ip` fails for another reason.
   * @throws {RouteParseError} If its output is not a route list.
   */
  async list(
    options: { table?: string; device?: string } = {},
  ): Promise<Route[]> {
    const table = options.table ?? "main";
    if (options.device !== undefined) {
      const argv = ["ip", ...routeArgv("list", options as Partial<Route>)];
      const result = await this.#runner.run(argv);
      if (result.code === 0) return parseRoutes(result.stdout, table);
      if (!MISSING_DEVICE.test(result.stderr)) {
        throw new CommandFailedError(argv, result);
      }
    }
    const argv = ["ip", ...routeArgv("list", { table })];
    const result = await this.#runner.run(argv);
    if (result.code !== 0) throw new CommandFailedError(argv, result);
    return parseRoutes(result.stdout, table);
  }

  /**
   * Applies route changes: one plain `ip` for a single change, one
   * `ip -batch -` process for several. Deleting a route that does not exist
   * succeeds, so teardown can be repeated.
   *
   * @param changes The changes, applied in order.
   * @throws {TypeError} If a change has no device.
   * @throws {DeviceNotFoundError} If a named device does not exist.
   * @throws {CommandFailedError} With argv, exit code and stderr otherwise.
   */
  async apply(changes: ReadonlyArray<RouteChange>): Promise<void> {
    const lines = changes.map(({ mode, route }) => {
      if (route.device === undefined) {
        throw new TypeError(
          `Route ${mode} needs a device, got none for ${route.destination}`,
        );
      }
      return routeArgv(mode, route);
    });
    if (lines.length === 0) return;
    if (lines.length === 1) {
      const argv = ["ip", ...(lines[0] ?? [])];
      const result = await this.#runner.run(argv);
      if (result.code === 0) return;
      if (changes[0]?.mode === "delete" && NO_SUCH_ROUTE.test(result.stderr)) {
        return;
      }
      throw failure(argv, result, changes[0]?.route.device);
    }
    // Every line starts with "-4", which a batch line cannot carry, so it is
    // given once to the batch process. "-force" runs every line and reports
    // each failure as "Command failed -:N" after that line's messages, so a
    // missing route to delete can be told apart from a real failure.
    const body = lines.map((line) => line.slice(1).join(" ")).join("\n");
    const argv = ["ip", "-4", "-force", "-batch", "-"];
    const result = await this.#runner.run(argv, { stdin: `${body}\n` });
    if (result.code === 0) return;
    const failed = batchFailures(result.stderr);
    const fatal = failed.filter(({ line, messages }) => {
      const change = changes[line - 1];
      return !(change?.mode === "delete" && NO_SUCH_ROUTE.test(messages));
    });
    if (failed.length > 0 && fatal.length === 0) return;
    const first = fatal[0];
    const device = first ? changes[first.line - 1]?.route.device : undefined;
    throw failure([...argv, body], result, device);
  }
}

function batchFailures(
  stderr: string,
): { line: number; messages: string }[] {
  const out: { line: number; messages: string }[] = [];
  let pending: string[] = [];
  for (const text of stderr.split("\n")) {
    const match = /^Command failed -:(\d+)$/.exec(text.trim());
    if (match) {
      out.push({ line: Number(match[1]), messages: pending.join("\n") });
      pending = [];
    } else if (text.trim() !== "") {
      pending.push(text);
    }
  }
  return out;
}
