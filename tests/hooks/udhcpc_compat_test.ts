/**
 * Compares the hook environment with the one busybox udhcpc gives its
 * script for the same DHCPACK from the same dnsmasq, in a lab of network
 * namespaces.
 */

import assert from "node:assert/strict";
import { leaseFromAck } from "../../lib/client/lease.ts";
import { MessageType, OptionCode } from "../../lib/dhcp/constants.ts";
import { decodeMessage, type DhcpMessage } from "../../lib/dhcp/message.ts";
import { hookEnvironment } from "../../lib/hooks/hook_environment.ts";
import { Lab } from "../../lib/lab/lab.ts";
import { waitUntil } from "../cli/_wait.ts";

/** The DHCP messages in a pcap file of Ethernet frames. */
function dhcpMessages(pcap: Uint8Array): DhcpMessage[] {
  const view = new DataView(pcap.buffer, pcap.byteOffset, pcap.length);
  // tcpdump writes the file in host order; 0xa1b2c3d4 read little-endian
  // means a little-endian file.
  const little = view.getUint32(0, true) === 0xa1b2c3d4;
  assert.ok(little || view.getUint32(0) === 0xa1b2c3d4, "not a pcap file");
  assert.equal(view.getUint32(20, little), 1, "link type is not Ethernet");
  const messages: DhcpMessage[] = [];
  let at = 24;
  while (at + 16 <= pcap.length) {
    const length = view.getUint32(at + 8, little);
    // tcpdump may be writing the last record right now.
    if (at + 16 + length > pcap.length) break;
    const frame = pcap.subarray(at + 16, at + 16 + length);
    at += 16 + length;
    const ip = 14;
    const udp = ip + (frame[ip]! & 0x0f) * 4;
    messages.push(decodeMessage(frame.subarray(udp + 8)));
  }
  return messages;
}

/** The last DHCPACK in a capture file, if any. */
async function capturedAck(path: string): Promise<DhcpMessage | undefined> {
  return dhcpMessages(await Deno.readFile(path)).findLast((message) =>
    message.options.get(OptionCode.DHCP_MESSAGE_TYPE)?.[0] === MessageType.ACK
  );
}

/** Parses `env` output, leaving out what the parent process passed. */
function scriptVariables(text: string): Record<string, string> {
  const parent = Deno.env.toObject();
  const variables: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf("=");
    if (at < 1) continue;
    const [name, value] = [line.slice(0, at), line.slice(at + 1)];
    if (parent[name] === value) continue;
    if (["_", "PWD", "OLDPWD", "SHLVL"].includes(name)) continue;
    variables[name] = value;
  }
  return variables;
}

/** Drops PATH and ocidhcp's own variables, which udhcpc does not set. */
function udhcpcPart(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) =>
      name !== "PATH" && !name.startsWith("OCIDHCP_")
    ),
  );
}

Deno.test({
  name: "hookEnvironment() matches udhcpc's script environment for one ACK",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ocidhcp-t-hooks-" });
    try {
      await using lab = await Lab.create({
        domainName: "lab.example",
        domainSearch: ["a.example", "b.example"],
        classlessRoutes: [
          { destination: "10.0.0.0", prefix: 8, gateway: "198.18.0.1" },
        ],
        renewalTime: 600,
        rebindingTime: 1000,
      });
      const dump = `${dir}/dump`;
      await Deno.writeTextFile(
        dump,
        `#!/bin/sh\nenv > "${dir}/$1.env"\n`,
        { mode: 0o755 },
      );
      await Deno.chmod(dump, 0o755);
      const pcap = `${dir}/dhcp.pcap`;
      // -Z root: tcpdump would otherwise drop to a user that cannot write
      // into the private temporary directory.
      const capture = lab.spawn([
        "tcpdump",
        "-i",
        "eth0",
        "-n",
        "-U",
        "--immediate-mode",
        "-Z",
        "root",
        "-w",
        pcap,
        "udp port 68",
      ]);
      try {
        await capture.waitFor(/listening on/, 10_000);
        const result = await lab.run([
          "udhcpc",
          "-f",
          "-q",
          "-n",
          "-i",
          "eth0",
          "-s",
          dump,
          "-O",
          "search",
          "-O",
          "staticroutes",
        ]);
        assert.equal(result.code, 0, result.stderr);
        await waitUntil(
          async () => (await capturedAck(pcap)) !== undefined,
          5000,
          () => `tcpdump wrote no DHCPACK: ${capture.output()}`,
        );
      } finally {
        await capture.stop();
      }
      const udhcpcBound = scriptVariables(
        await Deno.readTextFile(`${dir}/bound.env`),
      );
      const ack = await capturedAck(pcap);
      assert.ok(ack, "no DHCPACK captured");
      assert.equal(ack.yiaddr, udhcpcBound.ip);
      const { lease } = leaseFromAck(ack, {
        interface: "eth0",
        acquiredAt: 0,
      });
      const bound = hookEnvironment({
        event: "bound",
        interface: "eth0",
        lease,
      });
      assert.deepEqual(bound.rejected, []);
      // siaddr is a BOOTP header field a lease does not keep.
      assert.equal(udhcpcBound.siaddr, ack.siaddr);
      delete udhcpcBound.siaddr;
      // Make sure the options under test were really offered.
      for (const name of ["search", "staticroutes", "domain", "opt58"]) {
        assert.ok(name in udhcpcBound, `udhcpc got no ${name}`);
      }
      assert.deepEqual(udhcpcPart(bound.env), udhcpcBound);
      const udhcpcDeconfig = scriptVariables(
        await Deno.readTextFile(`${dir}/deconfig.env`),
      );
      const deconfig = hookEnvironment({
        event: "deconfig",
        interface: "eth0",
        lease,
      });
      assert.deepEqual(udhcpcPart(deconfig.env), udhcpcDeconfig);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
