/**
 * A lab link served by the hostile responder instead of a real server, and
 * the checks the hostile-server tests share.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Lab, LabProcess } from "../../lib/lab/lab.ts";
import type { Scenario } from "./_responder.ts";

const RESPONDER = new URL("./_responder.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
/** A hardware address that is not the client's. */
export const OTHER_MAC = "02:00:5e:00:53:99";

/**
 * Creates a one-link lab and stops its dnsmasq, so the responder has the
 * link.
 *
 * @returns The lab; the caller disposes of it.
 */
export async function hostileLab(): Promise<Lab> {
  const lab = await Lab.create({ server: "dnsmasq" });
  try {
    await lab.stopServer(0);
  } catch (error) {
    await lab.close();
    throw error;
  }
  return lab;
}

/** A scenario whose interface and server default to link 0's. */
export type ResponderScenario =
  & Omit<Scenario, "interface" | "serverId">
  & { serverId?: string };

/**
 * Starts the responder in link 0's server namespace.
 *
 * @param lab The lab.
 * @param scenario What the responder does.
 * @returns The responder, listening.
 * @throws {LabProcessError} If it does not start listening in 15 s.
 */
export async function startResponder(
  lab: Lab,
  scenario: ResponderScenario,
): Promise<LabProcess> {
  const link = lab.links[0]!;
  const full: Scenario = {
    interface: link.serverInterface,
    serverId: link.serverAddress,
    ...scenario,
  };
  const responder = LabProcess.spawn([
    "ip",
    "netns",
    "exec",
    link.serverNamespace,
    Deno.execPath(),
    "run",
    "-A",
    "--unstable-net",
    "--config",
    CONFIG,
    RESPONDER,
    JSON.stringify(full),
  ], { label: "responder" });
  try {
    await responder.waitFor(/listening on/, 15_000);
  } catch (error) {
    await responder.stop();
    throw error;
  }
  return responder;
}

/**
 * @param lab The lab.
 * @param host The host part, 0 to 255.
 * @returns That address in link 0's /24.
 */
export function pool(lab: Lab, host: number): string {
  return lab.links[0]!.network.replace(/\.0$/, `.${host}`);
}

/**
 * Samples the addresses of the client's eth0 every 50 ms.
 *
 * @param lab The lab.
 * @param ms For how long.
 * @returns Every address seen.
 */
export async function addressesSeen(
  lab: Lab,
  ms: number,
): Promise<Set<string>> {
  const seen = new Set<string>();
  const deadline = performance.now() + ms;
  do {
    for (const a of await lab.addresses("eth0")) seen.add(a.address);
    await new Promise((resolve) => setTimeout(resolve, 50));
  } while (performance.now() < deadline);
  return seen;
}

/**
 * Asserts that a process runs and printed no uncaught exception or panic.
 *
 * @param process The process.
 * @throws {AssertionError} If it exited or crashed.
 */
export function assertNoCrash(process: LabProcess): void {
  assert.equal(process.exited, false, `exited:\n${process.output()}`);
  assert.doesNotMatch(
    process.output(),
    /Uncaught|panicked|RangeError|TypeError|stack backtrace/i,
  );
}

/**
 * Runs the client at debug level against a responder, stopping both and
 * cleaning eth0 in any case; a failure carries both outputs.
 *
 * @param lab The lab.
 * @param scenario What the responder does.
 * @param body The checks, given the client and the responder.
 * @param options More arguments for the client, before the interface.
 * @returns When the checks are done.
 */
export async function withClient(
  lab: Lab,
  scenario: ResponderScenario,
  body: (client: LabProcess, responder: LabProcess) => Promise<void>,
  options: { args?: readonly string[] } = {},
): Promise<void> {
  const responder = await startResponder(lab, scenario);
  // No lease record (each run must start from INIT, not INIT-REBOOT with
  // an address from another test) and no resolv.conf (it is the host's).
  const client = lab.spawnClient([
    "--log-level",
    "debug",
    "--state-dir",
    "none",
    "--resolv-conf",
    "none",
    ...options.args ?? [],
    "eth0",
  ]);
  try {
    await body(client, responder);
  } catch (error) {
    const output = `client:\n${client.output()}\n` +
      `responder:\n${responder.output().slice(-3000)}`;
    throw new Error(`${(error as Error).message}\n${output}`, {
      cause: error,
    });
  } finally {
    await client.stop();
    await responder.stop();
    await lab.run(["ip", "address", "flush", "dev", "eth0"]);
    await lab.run(["ip", "route", "flush", "dev", "eth0"]);
  }
}
