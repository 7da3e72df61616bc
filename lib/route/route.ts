/**
 * IPv4 routes as iproute2 sees them, and the one builder that turns a route
 * into `ip` arguments for every mode, so that what is installed and what is
 * looked up afterwards are matched on the same fields.
 *
 * @module
 */

/** One IPv4 route of a routing table. */
export interface Route {
  /** "default" or "a.b.c.d/p"; "0.0.0.0/0" is normalised to "default". */
  destination: string;
  /** The next hop; absent for an on-link route. */
  gateway?: string;
  /** The output device. */
  device?: string;
  /**
   * The routing table.
   *
   * @default {"main"}
   */
  table?: string;
  /** The protocol tag, such as "dhcp", "kernel" or "static". */
  protocol?: string;
  /**
   * The metric (priority); iproute2 omits it when it is 0.
   *
   * @default {0}
   */
  metric?: number;
  /** The scope; iproute2 omits it for "global". */
  scope?: "global" | "link" | "host";
  /** The preferred source address. */
  source?: string;
}

/** What {@linkcode routeArgv} builds arguments for. */
export type RouteMode = "add" | "replace" | "delete" | "flush" | "list";

/** `ip -j route show` printed something that is not a route list. */
export class RouteParseError extends Error {
  /**
   * Creates the error.
   *
   * @param message What was expected and what was found.
   * @param options The underlying error as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RouteParseError";
  }
}

/**
 * Normalises a destination: "0.0.0.0/0" becomes "default", and a bare
 * address (iproute2 prints host routes without "/32") gains "/32".
 *
 * @param destination The destination as written or printed.
 * @returns The normalised destination.
 */
export function normalizeDestination(destination: string): string {
  if (destination === "default" || destination === "0.0.0.0/0") {
    return "default";
  }
  return destination.includes("/") ? destination : `${destination}/32`;
}

/**
 * Tells whether a route is an IPv4 default route, whichever way its
 * destination is spelled.
 *
 * @param route The route.
 * @returns True for "default" and "0.0.0.0/0".
 *
 * @example Both spellings
 * ```ts
 * import { isDefaultRoute } from "./route.ts";
 * isDefaultRoute({ destination: "0.0.0.0/0" }); // true
 * ```
 */
export function isDefaultRoute(route: Pick<Route, "destination">): boolean {
  return normalizeDestination(route.destination) === "default";
}

// Words that `ip -batch` would split or treat as syntax; interface names
// and addresses never contain them, so anything that does is rejected.
const UNSAFE = /[\s"'\\#]/;

function word(name: string, value: string): string {
  if (value === "" || UNSAFE.test(value)) {
    throw new TypeError(
      `Route ${name} must be a non-empty word without spaces or quotes, ` +
        `got "${value}"`,
    );
  }
  return value;
}

/**
 * Builds the arguments after `ip` for one route operation. List mode lists
 * the route's table (main unless given), across all devices unless the route
 * names one. Add, replace and delete always state the table and the metric
 * (0 unless given), which are what the kernel matches a replace on.
 *
 * @param mode The operation.
 * @param route The route, or for "list" and "flush" the fields to filter on.
 * @returns The arguments, starting with "-4".
 * @throws {TypeError} If add, replace or delete has no destination, or a
 * field is not a single word.
 *
 * @example Replace a default route
 * ```ts
 * import { routeArgv } from "./route.ts";
 * routeArgv("replace", {
 *   destination: "default",
 *   gateway: "198.18.0.1",
 *   device: "eth0",
 *   protocol: "dhcp",
 * });
 * // ["-4", "route", "replace", "default", "via", "198.18.0.1", "dev",
 * //  "eth0", "table", "main", "proto", "dhcp", "metric", "0"]
 * ```
 */
export function routeArgv(mode: RouteMode, route: Partial<Route>): string[] {
  const table = word("table", route.table ?? "main");
  if (mode === "list") {
    const argv = ["-4", "-j", "route", "show", "table", table];
    if (route.device !== undefined) {
      argv.push("dev", word("device", route.device));
    }
    return argv;
  }
  const argv = ["-4", "route", mode === "delete" ? "del" : mode];
  if (route.destination !== undefined) {
    argv.push(normalizeDestination(word("destination", route.destination)));
  } else if (mode !== "flush") {
    throw new TypeError(`Route ${mode} needs a destination, got none`);
  }
  if (route.gateway !== undefined) {
    argv.push("via", word("gateway", route.gateway));
  }
  if (route.device !== undefined) {
    argv.push("dev", word("device", route.device));
  }
  argv.push("table", table);
  if (route.protocol !== undefined) {
    argv.push("proto", word("protocol", route.protocol));
  }
  const metric = route.metric ?? (mode === "flush" ? undefined : 0);
  if (metric !== undefined) {
    if (!Number.isInteger(metric) || metric < 0 || metric > 0xffffffff) {
      throw new RangeError(
        `Route metric must be an integer from 0 to 4294967295, got ${metric}`,
      );
    }
    argv.push("metric", String(metric));
  }
  if (route.scope !== undefined) argv.push("scope", route.scope);
  if (route.source !== undefined) {
    argv.push("src", word("source", route.source));
  }
  return argv;
}

const SCOPES = new Set(["global", "link", "host"]);

function field(
  entry: Record<string, unknown>,
  name: string,
  index: number,
): string | undefined {
  const value = entry[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") {
    throw new RouteParseError(
      `Route ${index} field "${name}" must be a string, ` +
        `got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * Parses the output of `ip -j route show`.
 *
 * @param json The JSON text.
 * @param table The table the routes were listed from, recorded on each.
 * @returns The routes, destinations normalised, in the order printed.
 * @throws {RouteParseError} If the text is not a JSON array of routes.
 *
 * @example Parse a default route
 * ```ts
 * import { parseRoutes } from "./route.ts";
 * parseRoutes('[{"dst":"default","dev":"eth0","protocol":"dhcp"}]');
 * // [{ destination: "default", table: "main", device: "eth0",
 * //    protocol: "dhcp" }]
 * ```
 */
export function parseRoutes(json: string, table = "main"): Route[] {
  // iproute2 prints nothing at all (not "[]") for some empty listings.
  if (json.trim() === "") return [];
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new RouteParseError(
      `Route list must be JSON, got ${JSON.stringify(json.slice(0, 80))}`,
      { cause: error },
    );
  }
  if (!Array.isArray(data)) {
    throw new RouteParseError(
      `Route list must be a JSON array, got ${typeof data}`,
    );
  }
  return data.map((item: unknown, index): Route => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      throw new RouteParseError(
        `Route ${index} must be a JSON object, got ${JSON.stringify(item)}`,
      );
    }
    const entry = item as Record<string, unknown>;
    const destination = field(entry, "dst", index);
    if (destination === undefined) {
      throw new RouteParseError(`Route ${index} has no "dst" field`);
    }
    const route: Route = {
      destination: normalizeDestination(destination),
      table,
    };
    const gateway = field(entry, "gateway", index);
    if (gateway !== undefined) route.gateway = gateway;
    const device = field(entry, "dev", index);
    if (device !== undefined) route.device = device;
    const protocol = field(entry, "protocol", index);
    if (protocol !== undefined) route.protocol = protocol;
    const scope = field(entry, "scope", index);
    if (scope !== undefined && SCOPES.has(scope)) {
      route.scope = scope as "global" | "link" | "host";
    }
    const source = field(entry, "prefsrc", index);
    if (source !== undefined) route.source = source;
    const metric = entry["metric"];
    if (metric !== undefined) {
      if (typeof metric !== "number" || !Number.isInteger(metric)) {
        throw new RouteParseError(
          `Route ${index} field "metric" must be an integer, ` +
            `got ${JSON.stringify(metric)}`,
        );
      }
      route.metric = metric;
    }
    return route;
  });
}
