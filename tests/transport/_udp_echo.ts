/**
 * A UDP echo server for transport tests: answers every datagram on
 * `<address>:<port>` with the same bytes reversed, so a test can tell the
 * reply from its own request.
 *
 * @module
 */

const [hostname = "192.0.2.1", port = "67"] = Deno.args;
const connection = Deno.listenDatagram({
  transport: "udp",
  hostname,
  port: Number(port),
});
console.error("listening");
for await (const [payload, from] of connection) {
  await connection.send(payload.slice().reverse(), from);
}
