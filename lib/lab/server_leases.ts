/**
 * Reading the leases each lab server keeps, so tests can check what the
 * server believes it handed out.
 *
 * @module
 */

/** A lease as a server records it. */
export interface ServerLease {
  /** The leased address. */
  address: string;
  /** The client's MAC address, lowercase with colons. */
  hardwareAddress: string;
  /** When the lease ends, in Unix seconds; absent for an infinite lease. */
  expires?: number;
}

function lease(
  address: string,
  hardwareAddress: string,
  expires: number | undefined,
): ServerLease {
  const result: ServerLease = {
    address,
    hardwareAddress: hardwareAddress.toLowerCase(),
  };
  if (expires !== undefined) result.expires = expires;
  return result;
}

/**
 * Parses a dnsmasq lease file: one lease a line, "expiry MAC address
 * hostname client-id", with expiry 0 for an infinite lease.
 *
 * @param text The file's content.
 * @returns The leases, in file order.
 */
export function parseDnsmasqLeases(text: string): ServerLease[] {
  const leases: ServerLease[] = [];
  for (const line of text.split("\n")) {
    const [expiry, mac, address] = line.trim().split(/\s+/);
    if (expiry === undefined || mac === undefined || address === undefined) {
      continue;
    }
    // Lines for DHCPv6 leases start with "duid" and carry no MAC.
    if (!/^[0-9]+$/.test(expiry) || !mac.includes(":")) continue;
    const seconds = Number(expiry);
    leases.push(lease(address, mac, seconds === 0 ? undefined : seconds));
  }
  return leases;
}

/**
 * Parses a Kea memfile lease file (CSV with a header row). Kea appends a
 * row for every change, so the last row for an address wins; rows with a
 * zero lifetime (released) or a state other than 0 (declined, reclaimed)
 * are not live leases.
 *
 * @param text The file's content.
 * @returns The live leases.
 */
export function parseKeaLeases(text: string): ServerLease[] {
  const [header, ...rows] = text.split("\n").filter((line) => line !== "");
  if (header === undefined) return [];
  const columns = header.split(",");
  const at = (name: string): number => columns.indexOf(name);
  const latest = new Map<string, string[]>();
  for (const row of rows) {
    const fields = row.split(",");
    const address = fields[at("address")];
    if (address !== undefined) latest.set(address, fields);
  }
  const leases: ServerLease[] = [];
  for (const [address, fields] of latest) {
    const lifetime = Number(fields[at("valid_lifetime")]);
    const state = Number(fields[at("state")] ?? "0");
    if (lifetime === 0 || state !== 0) continue;
    leases.push(
      lease(
        address,
        fields[at("hwaddr")] ?? "",
        Number(fields[at("expire")]),
      ),
    );
  }
  return leases;
}

const UDHCPD_HEADER = 8;
const UDHCPD_RECORD = 36;

/**
 * Parses a busybox udhcpd lease file: a 64-bit big-endian write time, then
 * 36-byte records (remaining seconds, address, MAC, 20-byte hostname, two
 * bytes of padding), all in network byte order.
 *
 * @param bytes The file's content.
 * @returns The leases with a non-zero address; none for an empty file.
 * @throws {RangeError} If the file is shorter than its header.
 */
export function parseUdhcpdLeases(bytes: Uint8Array): ServerLease[] {
  // udhcpd creates the file empty before its first write.
  if (bytes.length === 0) return [];
  if (bytes.length < UDHCPD_HEADER) {
    throw new RangeError(
      `udhcpd lease file must be at least ${UDHCPD_HEADER} bytes, got ` +
        `${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const written = Number(view.getBigInt64(0));
  const leases: ServerLease[] = [];
  for (
    let offset = UDHCPD_HEADER;
    offset + UDHCPD_RECORD <= bytes.length;
    offset += UDHCPD_RECORD
  ) {
    const remaining = view.getUint32(offset);
    const address = Array.from(bytes.subarray(offset + 4, offset + 8)).join(
      ".",
    );
    if (address === "0.0.0.0") continue;
    const mac = Array.from(
      bytes.subarray(offset + 8, offset + 14),
      (b) => b.toString(16).padStart(2, "0"),
    ).join(":");
    leases.push(lease(address, mac, written + remaining));
  }
  return leases;
}

/**
 * Reads the leases the npm-dhcp lab server printed as JSON lines; a later
 * line for the same MAC replaces an earlier one.
 *
 * @param lines The server's standard output lines.
 * @returns The latest lease per MAC.
 */
export function parseNpmDhcpLeases(lines: readonly string[]): ServerLease[] {
  const latest = new Map<string, ServerLease>();
  for (const line of lines) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof parsed !== "object" || parsed === null) continue;
    const record = parsed as Record<string, unknown>;
    const { event, address, hardwareAddress, expires } = record;
    if (
      event !== "lease" || typeof address !== "string" ||
      typeof hardwareAddress !== "string"
    ) continue;
    latest.set(
      hardwareAddress,
      lease(
        address,
        hardwareAddress,
        typeof expires === "number" ? expires : undefined,
      ),
    );
  }
  return [...latest.values()];
}
