/**
 * The real `ocidhcp` behind a DHCP relay agent (RFC 2131 section 4.1,
 * RFC 1542): three namespaces, client - relay - server, with dnsmasq as the
 * relay and as the server. The server has no interface in the client's
 * subnet, so a lease from that subnet's pool can only have come through
 * the relay (giaddr). The renewal is unicast from the client straight to
 * the server (RFC 2131 section 4.4.5), routed through the relay's
 * namespace.
 */

import assert from "node:assert/strict";
import { LabProcess } from "../../lib/lab/lab_process.ts";
import {
  createNamespace,
  deleteNamespace,
  netnsExec,
} from "../../lib/lab/netns.ts";
import { DenoCommandRunner, runChecked } from "../../lib/process/command.ts";
import { waitUntil } from "../cli/_wait.ts";

const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;

// RFC 2544 addresses, private to these namespaces: the client's subnet
// (served only through the relay) and the relay-server subnet.
const CLIENT_NET = "198.19.7";
const SERVER_NET = "198.19.8";
const RELAY_CLIENT_SIDE = `${CLIENT_NET}.1`;
const RELAY_SERVER_SIDE = `${SERVER_NET}.1`;
const SERVER = `${SERVER_NET}.2`;

function dnsmasq(directory: string, name: string): string[] {
  return [
    "dnsmasq",
    "--keep-in-foreground",
    "--conf-file=/dev/null",
    "--port=0",
    "--no-hosts",
    "--user=root",
    "--log-dhcp",
    "--log-facility=-",
    `--pid-file=${directory}/${name}.pid`,
  ];
}

Deno.test({
  name: "ocidhcp leases from another subnet's pool through a relay and " +
    "renews with the server",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const host = new DenoCommandRunner();
    const prefix = `ocidhcp-t-${Deno.pid}-relay`;
    const [client, relay, server] = ["c", "r", "s"].map((s) =>
      `${prefix}-${s}`
    ) as [string, string, string];
    const directory = await Deno.makeTempDir({ prefix: `${prefix}-` });
    const processes: LabProcess[] = [];
    const ip = (...args: string[]) => runChecked(host, ["ip", ...args]);
    const spawn = (ns: string, argv: string[], label: string) => {
      const process = LabProcess.spawn(netnsExec(ns, argv), { label });
      processes.push(process);
      return process;
    };
    try {
      for (const ns of [client, relay, server]) await createNamespace(ns);
      // Distinct high ifindexes: a veth whose ifindex equals its peer's
      // iflink can be reported UP up to a second late.
      await ip(
        ...["-n", relay, "link", "add", "r0", "index", "10100"],
        ...["type", "veth", "peer", "name", "eth0", "netns", client],
      );
      await ip(
        ...["-n", relay, "link", "add", "r1", "index", "10101"],
        ...["type", "veth", "peer", "name", "s0", "netns", server],
      );
      await ip(
        "-n",
        relay,
        "addr",
        "add",
        `${RELAY_CLIENT_SIDE}/24`,
        "dev",
        "r0",
      );
      await ip(
        "-n",
        relay,
        "addr",
        "add",
        `${RELAY_SERVER_SIDE}/24`,
        "dev",
        "r1",
      );
      await ip("-n", server, "addr", "add", `${SERVER}/24`, "dev", "s0");
      for (const [ns, dev] of [[relay, "r0"], [relay, "r1"], [server, "s0"]]) {
        await ip("-n", ns!, "link", "set", dev!, "up");
      }
      await ip("-n", client, "link", "set", "eth0", "up");
      // The server answers the relay at giaddr, and the renewal goes from
      // the client's address to the server: both cross the relay's
      // namespace as routed traffic.
      await ip(
        ...["-n", server, "route", "add", `${CLIENT_NET}.0/24`],
        ...["via", RELAY_SERVER_SIDE],
      );
      await runChecked(
        host,
        netnsExec(relay, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]),
      );

      const leases = `${directory}/server.leases`;
      const dhcpServer = spawn(server, [
        ...dnsmasq(directory, "server"),
        "--interface=s0",
        "--no-ping",
        "--dhcp-authoritative",
        `--dhcp-leasefile=${leases}`,
        // A range in a subnet the server is not on: dnsmasq serves it only
        // to requests relayed from a giaddr inside it.
        `--dhcp-range=${CLIENT_NET}.100,${CLIENT_NET}.199,255.255.255.0,120`,
        `--dhcp-option=option:router,${RELAY_CLIENT_SIDE}`,
        "--dhcp-option=option:dns-server",
        "--dhcp-option=option:T1,2",
        "--dhcp-option=option:T2,6",
      ], "dnsmasq server");
      const dhcpRelay = spawn(relay, [
        ...dnsmasq(directory, "relay"),
        "--interface=r0",
        "--interface=r1",
        `--dhcp-relay=${RELAY_CLIENT_SIDE},${SERVER}`,
      ], "dnsmasq relay");
      await dhcpServer.waitFor(/DHCP, IP range/, 15_000);
      await dhcpRelay.waitFor(/DHCP relay/i, 15_000);

      const ocidhcp = spawn(client, [
        ...[Deno.execPath(), "run", "-P=client", "--unstable-net"],
        ...["--config", CONFIG, MAIN],
        ...["--state-dir", `${directory}/state`, "--resolv-conf", "none"],
        "eth0",
      ], "ocidhcp");
      const explain = () =>
        `client:\n${ocidhcp.output()}\nrelay:\n${dhcpRelay.output()}\n` +
        `server:\n${dhcpServer.output()}`;
      try {
        await ocidhcp.waitFor(/ready: eth0 configured/, 20_000);
      } catch (error) {
        throw new Error(explain(), { cause: error });
      }
      const shown = await runChecked(
        host,
        netnsExec(client, ["ip", "-j", "-4", "addr", "show", "dev", "eth0"]),
      );
      const [link] = JSON.parse(shown) as {
        addr_info: { local: string; prefixlen: number }[];
      }[];
      const address = link?.addr_info[0];
      assert.ok(address, explain());
      const host4 = Number(address.local.split(".")[3]);
      assert.ok(
        address.local.startsWith(`${CLIENT_NET}.`) && host4 >= 100 &&
          host4 <= 199 && address.prefixlen === 24,
        `leased ${address.local}/${address.prefixlen}, outside the relayed ` +
          `pool\n${explain()}`,
      );
      assert.match(
        ocidhcp.output(),
        new RegExp(
          `leased ${address.local.replaceAll(".", "\\.")}/24 ` +
            `from ${SERVER.replaceAll(".", "\\.")}`,
        ),
      );
      // The server, whose only interface is in the other subnet, chose the
      // relayed subnet's range: it went by the giaddr the relay set.
      assert.match(
        dhcpServer.output(),
        new RegExp(
          `DHCPACK\\(s0\\) ${address.local.replaceAll(".", "\\.")} `,
        ),
      );

      const expiry = async () => {
        const text = await Deno.readTextFile(leases).catch(() => "");
        const line = text.split("\n").find((l) =>
          l.split(" ")[2] === address.local
        );
        return Number(line?.split(" ")[0] ?? 0);
      };
      const before = await expiry();
      assert.ok(before > 0, `no lease for ${address.local} on the server`);
      await ocidhcp.waitFor(/renewing \S+ with 198\.19\.8\.2/, 10_000);
      await waitUntil(
        () => (ocidhcp.output().match(/leased \S+/g) ?? []).length >= 2,
        10_000,
        () => `no lease after renewing:\n${explain()}`,
      );
      assert.doesNotMatch(ocidhcp.output(), /rebinding|expired/);
      // dnsmasq records the new expiry, in whole seconds.
      await waitUntil(
        async () => (await expiry()) > before,
        5_000,
        () => `the server kept expiry ${before}\n${explain()}`,
      );
      const status = await ocidhcp.stop();
      assert.equal(status.code, 0, explain());
    } finally {
      for (const process of processes.reverse()) await process.stop();
      for (const ns of [client, relay, server]) await deleteNamespace(ns);
      await Deno.remove(directory, { recursive: true });
    }
  },
});
