/**
 * The JSON event stream: one object per line on standard output, for
 * scripts that follow a running client.
 *
 * @module
 */

import type { Lease } from "../lib/client/lease.ts";
import type {
  LeaseEvent,
  LeaseFailEvent,
} from "../lib/client/interface_client.ts";
import type { DefaultRouteEvent } from "../lib/client/supervisor.ts";

/** The fields of a lease a script can use; timers in seconds. */
export interface LeaseJson {
  /** The leased address. */
  address: string;
  /** Its prefix length. */
  prefix: number;
  /** The server that granted it. */
  serverIdentifier: string;
  /** Routers, in the server's order. */
  routers: string[];
  /** DNS servers, in the server's order. */
  domainNameServers: string[];
  /** Option 15. */
  domainName: string | null;
  /** Option 119. */
  domainSearch: string[];
  /** Option 121, if sent. */
  classlessStaticRoutes:
    | { destination: string; prefix: number; gateway: string }[]
    | null;
  /** Option 26. */
  interfaceMtu: number | null;
  /** Seconds; null when infinite. */
  leaseTime: number | null;
  /** T1 in seconds; null when infinite. */
  renewalTime: number | null;
  /** T2 in seconds; null when infinite. */
  rebindingTime: number | null;
}

function seconds(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/**
 * Turns a lease into plain JSON-friendly fields.
 *
 * @param lease The lease.
 * @returns Its fields; infinite times become null.
 */
export function leaseJson(lease: Lease): LeaseJson {
  return {
    address: lease.address,
    prefix: lease.prefix,
    serverIdentifier: lease.serverIdentifier,
    routers: lease.routers,
    domainNameServers: lease.domainNameServers,
    domainName: lease.domainName ?? null,
    domainSearch: lease.domainSearch,
    classlessStaticRoutes: lease.classlessStaticRoutes ?? null,
    interfaceMtu: lease.interfaceMtu ?? null,
    leaseTime: seconds(lease.leaseTime),
    renewalTime: seconds(lease.renewalTime),
    rebindingTime: seconds(lease.rebindingTime),
  };
}

/** Every event the stream carries. */
export type StreamEvent =
  | LeaseEvent
  | LeaseFailEvent
  | DefaultRouteEvent
  | { type: "ready"; interfaces: readonly string[] };

/**
 * Renders one event as a JSON line.
 *
 * @param event The event.
 * @param time When it happened.
 * @returns The line, with its line break.
 */
export function eventLine(event: StreamEvent, time: Date = new Date()): string {
  const at = time.toISOString();
  switch (event.type) {
    case "default-route":
      return JSON.stringify({
        event: "default-route",
        time: at,
        owner: event.owner ?? null,
        previous: event.previous ?? null,
      }) + "\n";
    case "ready":
      return JSON.stringify({
        event: "ready",
        time: at,
        interfaces: event.interfaces,
      }) + "\n";
    case "leasefail":
      return JSON.stringify({
        event: "leasefail",
        time: at,
        interface: event.interface,
        tries: event.tries,
      }) + "\n";
    default:
      return JSON.stringify({
        event: event.type,
        time: at,
        interface: event.interface,
        lease: leaseJson(event.lease),
      }) + "\n";
  }
}
