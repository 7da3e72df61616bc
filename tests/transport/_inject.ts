/**
 * Sends hand-made IPv4/UDP packets to port 68 out of an interface through a
 * bare packet socket, malformed ones first, so a receiver's drop accounting
 * can be checked. Usage: `_inject.ts <interface> <rounds>`.
 *
 * @module
 */

import { cString, errno, libc, SystemCallError } from "../../lib/ffi/libc.ts";
import { buildIpv4Udp } from "../../lib/transport/ipv4_udp.ts";

const [name = "s0", rounds = "1"] = Deno.args;

function packet(text: string): Uint8Array<ArrayBuffer> {
  return buildIpv4Udp({
    source: "192.0.2.1",
    destination: "255.255.255.255",
    sourcePort: 67,
    destinationPort: 68,
    payload: new TextEncoder().encode(text),
  });
}

const badChecksum = packet("bad checksum");
badChecksum[10] = badChecksum[10]! ^ 0xff;
const badUdpLength = packet("bad udp length");
badUdpLength[25] = badUdpLength[25]! + 1;

const c = libc();
const ifindex = c.if_nametoindex(cString(name));
const fd = c.socket(17, 2, 0);
if (fd < 0) throw new SystemCallError("socket(AF_PACKET)", errno());
const address = new Uint8Array(20);
const view = new DataView(address.buffer);
view.setUint16(0, 17, true);
view.setUint16(2, 0x0800);
view.setInt32(4, ifindex, true);
view.setUint8(11, 6);
address.fill(0xff, 12, 18);
for (let round = 0; round < Number(rounds); round++) {
  for (const bytes of [badChecksum, badUdpLength, packet("good")]) {
    const sent = c.sendto(fd, bytes, BigInt(bytes.length), 0, address, 20);
    if (Number(sent) < 0) throw new SystemCallError("sendto", errno());
  }
}
c.close(fd);
