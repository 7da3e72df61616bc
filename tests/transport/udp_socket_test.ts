import assert from "node:assert/strict";
import { UdpSocket } from "../../lib/transport/udp_socket.ts";
import { createLab, type ProbeResult } from "./_lab.ts";

function parse(result: ProbeResult): Record<string, unknown> {
  assert.equal(result.timedOut, false, `probe hung: ${result.stderr}`);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

Deno.test("UdpSocket.open() rejects a malformed address", () => {
  assert.throws(() => UdpSocket.open("192.0.2"), TypeError);
  assert.throws(() => UdpSocket.open("192.0.2.1", { port: 0 }), RangeError);
});

Deno.test(
  "UdpSocket exchanges unicast with a server and closes cleanly",
  async () => {
    await using lab = await createLab({ clientAddress: "192.0.2.50/24" });
    lab.spawnServer([
      Deno.execPath(),
      "run",
      "-A",
      "--unstable-net",
      new URL("./_udp_echo.ts", import.meta.url).pathname,
      "192.0.2.1",
      "67",
    ]);
    const result = parse(
      await lab.runClient("./_udp_probe.ts", ["192.0.2.50", "192.0.2.1"]),
    );
    assert.deepEqual(result.reply, {
      payload: result.expected,
      source: "192.0.2.1",
      sourcePort: 67,
      destination: "192.0.2.50",
      destinationPort: 68,
    });
    assert.equal(result.sendWithoutDestination, "TypeError");
    assert.equal(result.pending, "SocketClosedError");
    assert.equal(result.queued, "SocketClosedError");
    assert.equal(result.sendAfterClose, "SocketClosedError");
    // 192.0.2.77 is configured nowhere in the client namespace.
    assert.match(
      result.unbindable as string,
      /^Cannot bind UDP socket to 192\.0\.2\.77:68: /,
    );
  },
);
