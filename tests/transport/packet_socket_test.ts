import assert from "node:assert/strict";
import {
  InterfaceNotFoundError,
  PacketSocket,
} from "../../lib/transport/packet_socket.ts";
import { createLab, type ProbeResult, startDnsmasq } from "./_lab.ts";

const PROBE = "./_packet_probe.ts";

function parse(result: ProbeResult): Record<string, unknown> {
  assert.equal(result.timedOut, false, `probe hung: ${result.stderr}`);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

/**
 * Sends rounds of packets with `_inject.ts` from the server side until the
 * probe, which may still be starting, has seen what it waits for.
 *
 * @returns How many rounds were sent.
 */
async function injectUntilDone(
  namespace: string,
  probe: Promise<ProbeResult>,
  kind: "malformed" | "filtered",
): Promise<number> {
  let finished = false;
  probe.finally(() => finished = true);
  let rounds = 0;
  for (let attempt = 0; attempt < 40 && !finished; attempt++) {
    const inject = new Deno.Command("ip", {
      args: [
        "netns",
        "exec",
        namespace,
        Deno.execPath(),
        "run",
        "-A",
        new URL("./_inject.ts", import.meta.url).pathname,
        "s0",
        "1",
        kind,
      ],
      stdout: "null",
      stderr: "piped",
    });
    const output = await inject.output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    rounds++;
    await Promise.race([probe, new Promise((r) => setTimeout(r, 200))]);
  }
  return rounds;
}

Deno.test("PacketSocket.open() names an unknown interface", () => {
  assert.throws(
    () => PacketSocket.open("ocidhcp-none0"),
    (error: unknown) => {
      assert.ok(error instanceof InterfaceNotFoundError, String(error));
      assert.equal(error.interfaceName, "ocidhcp-none0");
      assert.match(error.message, /"ocidhcp-none0"/);
      return true;
    },
  );
});

Deno.test("PacketSocket.open() explains EPERM (no CAP_NET_RAW)", async () => {
  await using lab = await createLab();
  const result = parse(
    await lab.runClient(PROBE, ["open", "c0"], {
      // Root keeps only the capabilities in its bounding set across exec.
      wrapper: ["setpriv", "--bounding-set", "-net_raw"],
    }),
  );
  const error = result.error as { name: string; code: string; message: string };
  assert.equal(error.name, "SystemCallError");
  assert.equal(error.code, "EPERM");
  assert.match(error.message, /^socket\(AF_PACKET\) for c0 failed/);
  assert.match(error.message, /CAP_NET_RAW/);
});

Deno.test("PacketSocket gets an OFFER from dnsmasq", async () => {
  await using lab = await createLab();
  startDnsmasq(lab);
  const link = lab.links[0]!;
  // dnsmasq accepting the DISCOVER also proves both checksums right: the
  // receiving UDP stack verifies them for packets from a packet socket.
  const result = parse(
    await lab.runClient(PROBE, ["discover", link.client, link.mac]),
  );
  const offer = result.offer as Record<string, unknown>;
  assert.deepEqual(offer.payload, {
    op: 2,
    xid: (offer.payload as { xid: number }).xid,
    yiaddr: (offer.payload as { yiaddr: string }).yiaddr,
    messageType: 2,
  });
  assert.match(
    (offer.payload as { yiaddr: string }).yiaddr,
    /^192\.0\.2\.1[0-5][0-9]$/,
  );
  assert.equal(offer.source, "192.0.2.1");
  assert.equal(offer.sourcePort, 67);
  assert.equal(offer.destinationPort, 68);
  assert.equal(result.dropped, 0);
  assert.equal(result.fdsLeaked, 0);
});

Deno.test(
  "PacketSocket.close() rejects a pending receive() and lets the process exit",
  async () => {
    await using lab = await createLab();
    const result = parse(
      await lab.runClient(PROBE, ["close-pending", "c0"], { timeoutMs: 10000 }),
    );
    assert.equal(result.sameClosePromise, true);
    for (const key of ["pending", "after", "sendAfter"]) {
      assert.equal(
        (result[key] as { name: string }).name,
        "SocketClosedError",
        key,
      );
    }
    // Waiting in poll leaves the event loop free and the CPU idle.
    assert.ok((result.timerLateMs as number) < 200, String(result.timerLateMs));
    assert.ok(
      (result.idleCpuTicks as number) < 10,
      String(result.idleCpuTicks),
    );
  },
);

Deno.test(
  "64 PacketSockets share one poll, all receive, and leak no fd",
  async () => {
    await using lab = await createLab();
    startDnsmasq(lab);
    const link = lab.links[0]!;
    const result = parse(
      await lab.runClient(PROBE, ["many", link.client, "64", link.mac], {
        timeoutMs: 30000,
      }),
    );
    assert.equal(result.replies, 64);
    // 64 sockets and the reactor's eventfd.
    assert.equal(result.fdsOpen, 65);
    // One waiting poll, not one thread per socket.
    assert.ok(
      (result.threadsAdded as number) <= 2,
      String(result.threadsAdded),
    );
    assert.equal(result.fdsLeaked, 0);
  },
);

Deno.test("PacketSocket drops and counts malformed packets", async () => {
  await using lab = await createLab();
  const probe = lab.runClient(PROBE, ["malformed", "c0"]);
  await injectUntilDone(lab.serverNamespace, probe, "malformed");
  const result = parse(await probe);
  assert.equal(result.unexpected, undefined);
  assert.ok((result.dropped as number) >= 2, String(result.dropped));
});

Deno.test("the kernel filter keeps all but unfragmented UDP to port 68 away", async () => {
  await using lab = await createLab();
  const probe = lab.runClient(PROBE, ["filtered", "c0"]);
  const rounds = await injectUntilDone(lab.serverNamespace, probe, "filtered");
  const result = parse(await probe);
  assert.equal(result.unexpected, undefined);
  // Only the two good packets reached user space: the packets to ports 67
  // and 69 and the fragment sent before the second one were dropped in the
  // kernel, so they count neither as received nor as dropped. Without the
  // filter at least those three would have been received too.
  assert.ok(rounds >= 2, `${rounds} rounds`);
  assert.equal(result.received, 2);
  assert.equal(result.dropped, 0);
});

Deno.test("PacketSocket.send() rejects with ENETDOWN if down", async () => {
  await using lab = await createLab();
  const down = new Deno.Command("ip", {
    args: ["-n", lab.clientNamespace, "link", "set", "c0", "down"],
  });
  assert.equal((await down.output()).code, 0);
  const result = parse(await lab.runClient(PROBE, ["send", "c0"]));
  assert.equal((result.error as { name: string }).name, "SystemCallError");
  assert.equal((result.error as { code: string }).code, "ENETDOWN");
});
