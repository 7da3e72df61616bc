/**
 * Compares the hook environment with the one busybox udhcpc gives its
 * script for the same DHCPACK from the same dnsmasq, in a lab of network
 * namespaces.
 */

import assert from "node:assert/strict";
import { leaseFromAck } from "../../lib/client/lease.ts";
import { MessageType, OptionCode } from "../../lib/dhcp/constants.ts";
import type { DhcpMessage } from "../../lib/dhcp/message.ts";
import { hookEnvironment } from "../../lib/hooks/hook_environment.ts";
import { Lab } from "../../lib/lab/lab.ts";
import { captureDhcp, type DhcpCapture } from "../cli/_capture.ts";
import { waitUntil } from "../cli/_wait.ts";

/** The last DHCPACK captured, if any. */
async function capturedAck(
  capture: DhcpCapture,
): Promise<DhcpMessage | undefined> {
  return (await capture.messages()).findLast((message) =>
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
      const capture = await captureDhcp(lab, dir);
      let ack: DhcpMessage | undefined;
      try {
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
          async () => (ack = await capturedAck(capture)) !== undefined,
          5000,
          () => "tcpdump wrote no DHCPACK",
        );
      } finally {
        await capture.stop();
      }
      const udhcpcBound = scriptVariables(
        await Deno.readTextFile(`${dir}/bound.env`),
      );
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
