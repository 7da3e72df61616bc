/**
 * Requests to a running client, without sockets: the requester writes the
 * action to `<runtime dir>/requests/<interface>` and sends SIGUSR1 to the
 * process that manages the interface; that process takes the request files
 * of its interfaces and acts on them.
 *
 * A plain SIGUSR1 (no request file) keeps udhcpc's meaning, renew every
 * interface, and SIGUSR2 releases every interface.
 *
 * Limitations: requests are not queued; a second request for an interface
 * before the process has read the first replaces it. The requester learns
 * that the signal was delivered, not that the action succeeded: the
 * outcome shows in the logs and in the status.
 *
 * @module
 */

import { errno, libc, SystemCallError } from "../ffi/libc.ts";
import { getLogger } from "@logtape/logtape";
import { checkInterfaceName } from "../route/interface_claim.ts";
import { readStatus } from "../state/status_store.ts";
import {
  makeDirectory,
  removeFile,
  writeFileAtomic,
} from "../state/atomic_file.ts";

// Linux signal and errno numbers (x86-64 and arm64 share them).
const SIGUSR1 = 10;
const ESRCH = 3;

const logger = getLogger(["ocidhcp", "control"]);

/** What a request asks of a running client. */
export type ControlAction = "renew" | "release";

const ACTIONS: readonly ControlAction[] = ["renew", "release"];

/** No live process manages the interface a request is for. */
export class NotRunningError extends Error {
  /** The interface. */
  readonly interface: string;
  /** The runtime directory that was searched. */
  readonly runtimeDir: string;

  /**
   * Creates the error.
   *
   * @param name The interface.
   * @param runtimeDir The runtime directory that was searched.
   * @param detail Why no process was found.
   */
  constructor(name: string, runtimeDir: string, detail: string) {
    super(
      `No running ocidhcp manages ${name} (${detail} in ${runtimeDir}); ` +
        `start one with "ocidhcp ${name}", or pass the --runtime-dir it uses`,
    );
    this.name = "NotRunningError";
    this.interface = name;
    this.runtimeDir = runtimeDir;
  }
}

/**
 * Names the request file of an interface.
 *
 * @param runtimeDir The runtime directory.
 * @param name The interface.
 * @returns `<runtimeDir>/requests/<name>`.
 * @throws {TypeError} If the name cannot be an interface name.
 */
export function requestPath(runtimeDir: string, name: string): string {
  return `${runtimeDir}/requests/${checkInterfaceName(name)}`;
}

/**
 * Asks the process that manages an interface to renew or release it.
 *
 * @param runtimeDir The runtime directory shared with that process.
 * @param interfaceName The interface.
 * @param action What to do.
 * @returns The pid that was signalled.
 * @throws {NotRunningError} If no live process manages the interface (no
 * status, a stale one, or the process vanished before the signal).
 * @throws {StateError} If the request file cannot be written.
 * @throws {TypeError} If the name or action is not valid.
 *
 * @example Renew eth0
 * ```ts ignore
 * const pid = await requestAction(runtimeDir(), "eth0", "renew");
 * ```
 */
export async function requestAction(
  runtimeDir: string,
  interfaceName: string,
  action: ControlAction,
): Promise<number> {
  if (!ACTIONS.includes(action)) {
    throw new TypeError(
      `Action must be one of ${ACTIONS.join(", ")}, got "${action}"`,
    );
  }
  const path = requestPath(runtimeDir, interfaceName);
  const status = await readStatus(runtimeDir, interfaceName);
  if (status === undefined) {
    throw new NotRunningError(interfaceName, runtimeDir, "no status");
  }
  if (status.stale) {
    throw new NotRunningError(
      interfaceName,
      runtimeDir,
      `process ${status.pid} no longer holds the interface lock`,
    );
  }
  await makeDirectory(`${runtimeDir}/requests`, 0o700);
  await writeFileAtomic(path, `${action}\n`);
  // kill(2) through libc: Deno.kill needs unrestricted --allow-run, far
  // more than signalling a client of our own needs.
  if (libc().kill(status.pid, SIGUSR1) !== 0) {
    const code = errno();
    await removeFile(path).catch(() => {});
    // ESRCH: the process ended between the status check and the signal.
    if (code === ESRCH) {
      throw new NotRunningError(
        interfaceName,
        runtimeDir,
        `process ${status.pid} has exited`,
      );
    }
    throw new SystemCallError(`kill(${status.pid}, SIGUSR1)`, code);
  }
  logger.debug("{interface}: asked process {pid} to {action}", {
    interface: interfaceName,
    pid: status.pid,
    action,
  });
  return status.pid;
}

/**
 * Takes the pending requests for some interfaces: each request file is
 * read and deleted. Call it on SIGUSR1; when it returns no request, the
 * signal was a plain `kill -USR1` and every interface is renewed.
 *
 * A request file is first renamed to a private name, so a request written
 * while this runs is either taken now or left for the next signal, never
 * lost. Files with unknown contents are deleted with a warning.
 *
 * @param runtimeDir The runtime directory.
 * @param interfaces The interfaces this process manages.
 * @returns The requested action of each interface that has one.
 *
 * @example Handle SIGUSR1
 * ```ts ignore
 * Deno.addSignalListener("SIGUSR1", async () => {
 *   const requests = await takeRequests(dir, names);
 *   for (const [name, action] of actionsForSignal(requests, names)) {
 *     await (action === "renew" ? renew(name) : release(name));
 *   }
 * });
 * ```
 */
export async function takeRequests(
  runtimeDir: string,
  interfaces: readonly string[],
): Promise<Map<string, ControlAction>> {
  const taken = new Map<string, ControlAction>();
  for (const name of interfaces) {
    const path = requestPath(runtimeDir, name);
    const claimed = `${path}.${Deno.pid}.taken`;
    try {
      await Deno.rename(path, claimed);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      logger.warning("{interface}: cannot take request {path}: {error}", {
        interface: name,
        path,
        error: String(error),
      });
      continue;
    }
    let text = "";
    try {
      text = (await Deno.readTextFile(claimed)).trim();
    } catch (error) {
      text = String(error);
    } finally {
      await removeFile(claimed).catch(() => {});
    }
    if ((ACTIONS as readonly string[]).includes(text)) {
      taken.set(name, text as ControlAction);
    } else {
      logger.warning("{interface}: ignored request {path}: {content}", {
        interface: name,
        path,
        content: text.slice(0, 40),
      });
    }
  }
  return taken;
}

/**
 * Decides what a SIGUSR1 asks for: the taken requests, or, when there are
 * none, a renewal of every interface (udhcpc's meaning of SIGUSR1).
 *
 * @param requests What {@linkcode takeRequests} returned.
 * @param interfaces The interfaces this process manages.
 * @returns The action for each interface to act on, in the given order.
 *
 * @example A plain signal
 * ```ts
 * import { actionsForSignal } from "./requests.ts";
 * actionsForSignal(new Map(), ["eth0", "eth1"]);
 * // Map { "eth0" => "renew", "eth1" => "renew" }
 * ```
 */
export function actionsForSignal(
  requests: ReadonlyMap<string, ControlAction>,
  interfaces: readonly string[],
): Map<string, ControlAction> {
  if (requests.size === 0) {
    return new Map(interfaces.map((name) => [name, "renew"]));
  }
  return new Map(
    interfaces.flatMap((name) => {
      const action = requests.get(name);
      return action === undefined ? [] : [[name, action] as const];
    }),
  );
}
