/**
 * How each benchmarked DHCP client is started so that it configures the
 * addresses and the default route itself and stays running once bound.
 *
 * @module
 */

/** The clients the benchmark knows. */
export const CLIENT_KINDS = [
  "ocidhcp",
  "udhcpc",
  "dhclient",
  "dhcpcd",
] as const;

/** One of {@linkcode CLIENT_KINDS}. */
export type ClientKind = typeof CLIENT_KINDS[number];

const PROGRAMS: Record<ClientKind, string | undefined> = {
  ocidhcp: undefined,
  udhcpc: "udhcpc",
  dhclient: "dhclient",
  dhcpcd: "dhcpcd",
};

const UDHCPC_DEFAULT_SCRIPT = "/etc/udhcpc/default.script";
const DHCLIENT_SCRIPT = "/sbin/dhclient-script";

// Applies the address and the first router with `ip`, for systems without
// Debian's udhcpc script. udhcpc passes the mask as a dotted quad.
const UDHCPC_MINIMAL_SCRIPT = `#!/bin/sh
prefix() {
  n=0
  for octet in $(echo "$1" | tr . ' '); do
    while [ "$octet" -gt 0 ]; do
      n=$((n + (octet & 1))); octet=$((octet >> 1))
    done
  done
  echo $n
}
case "$1" in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip -4 addr replace "$ip/$(prefix "$subnet")" dev "$interface"
    if [ -n "$router" ]; then
      ip -4 route replace default via "\${router%% *}" dev "$interface"
    fi ;;
esac
`;

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function onPath(program: string): boolean {
  const path = Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin";
  return path.split(":").some((dir) => exists(`${dir}/${program}`));
}

/**
 * Tells whether a client can be run here.
 *
 * @param kind The client.
 * @returns True for ocidhcp, else whether its program is on the PATH.
 */
export function isInstalled(kind: ClientKind): boolean {
  const program = PROGRAMS[kind];
  return program === undefined || onPath(program);
}

/**
 * Builds the command lines that start a client on interfaces. ocidhcp,
 * dhclient and dhcpcd run one process for all of them; udhcpc runs one per
 * interface.
 *
 * @param kind The client (not ocidhcp, which the lab starts itself).
 * @param interfaces The interface names.
 * @param directory A fresh directory for the client's files.
 * @returns One argv per process to start.
 * @throws {Deno.errors.PermissionDenied} If the directory is not writable.
 */
export async function clientCommands(
  kind: Exclude<ClientKind, "ocidhcp">,
  interfaces: readonly string[],
  directory: string,
): Promise<string[][]> {
  switch (kind) {
    case "udhcpc": {
      let script = UDHCPC_DEFAULT_SCRIPT;
      if (!exists(script)) {
        script = `${directory}/udhcpc.script`;
        await Deno.writeTextFile(script, UDHCPC_MINIMAL_SCRIPT, {
          mode: 0o755,
        });
      }
      // -f stays in the foreground and, without -q, stays running once
      // bound like a daemon would; -n exits if no lease comes.
      return interfaces.map((name) => [
        "udhcpc",
        "-f",
        "-n",
        "-i",
        name,
        "-s",
        script,
      ]);
    }
    case "dhclient":
      // -d stays in the foreground; -1 tries once; the pid and lease files
      // go to a fresh directory so no earlier lease is reused.
      return [[
        "dhclient",
        "-4",
        "-d",
        "-1",
        "-sf",
        DHCLIENT_SCRIPT,
        "-pf",
        `${directory}/dhclient.pid`,
        "-lf",
        `${directory}/dhclient.leases`,
        ...interfaces,
      ]];
    case "dhcpcd": {
      // The distribution's defaults, but no hook script: dhcpcd configures
      // addresses and routes itself, and its hooks would touch the host's
      // resolver, NTP and host name settings.
      const config = `${directory}/dhcpcd.conf`;
      await Deno.writeTextFile(
        config,
        [
          "option domain_name_servers, domain_name, domain_search",
          "option classless_static_routes",
          "option interface_mtu",
          "require dhcp_server_identifier",
          "",
        ].join("\n"),
      );
      return [[
        "dhcpcd",
        "-B",
        "-4",
        "-f",
        config,
        "-c",
        "/bin/true",
        ...interfaces,
      ]];
    }
  }
}
