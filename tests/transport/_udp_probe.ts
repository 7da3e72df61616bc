/**
 * Runs inside a lab's client namespace and exercises UdpSocket against the
 * echo server; prints one JSON object on stdout.
 * Usage: `_udp_probe.ts <local address> <server address>`.
 *
 * @module
 */

import { UdpSocket } from "../../lib/transport/udp_socket.ts";
import type { Datagram } from "../../lib/transport/datagram.ts";

const [local = "192.0.2.50", server = "192.0.2.1"] = Deno.args;
const result: Record<string, unknown> = {};

const socket = UdpSocket.open(local);
const request = new TextEncoder().encode("renew-" + Deno.pid);
let reply: Datagram | undefined;
const receiving = socket.receive().then((datagram) => reply = datagram);
// The echo server may still be starting; repeat until it answers.
for (let attempt = 0; attempt < 40 && !reply; attempt++) {
  await socket.send(request, { destination: server });
  await Promise.race([
    receiving,
    new Promise((resolve) => setTimeout(resolve, 250)),
  ]);
}
if (reply) {
  result.reply = {
    ...reply,
    payload: new TextDecoder().decode(reply.payload),
  };
}
result.expected = new TextDecoder().decode(request.slice().reverse());

try {
  await socket.send(request);
  result.sendWithoutDestination = "resolved";
} catch (error) {
  result.sendWithoutDestination = (error as Error).name;
}

const pending = socket.receive();
const queued = socket.receive();
await new Promise((resolve) => setTimeout(resolve, 100));
await socket.close();
await socket.close();
for (const [key, promise] of [["pending", pending], ["queued", queued]]) {
  try {
    await promise;
    result[key as string] = "resolved";
  } catch (error) {
    result[key as string] = (error as Error).name;
  }
}
try {
  await socket.send(request, { destination: server });
  result.sendAfterClose = "resolved";
} catch (error) {
  result.sendAfterClose = (error as Error).name;
}

try {
  UdpSocket.open("192.0.2.77");
  result.unbindable = "opened";
} catch (error) {
  result.unbindable = (error as Error).message;
}

console.log(JSON.stringify(result));
