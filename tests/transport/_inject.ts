/**
 * Sends hand-made IPv4/UDP packets to port 68 out of an interface through a
 * bare packet socket, malformed ones first, so a receiver's drop accounting
 * can be checked. Usage: `_inject.ts <interface> <rounds> [filtered]`; with
 * "filtered", each round sends what a DHCP client's filter must keep from
 * it (UDP to ports 67 and 69, a fragment to port 68) before one good
 * packet to port 68.
 *
 * @module
 */

import { cString, errno, libc, SystemCallError } from "../../lib/ffi/libc.ts";
import { buildIpv4Udp } from "../../lib/transport/ipv4_udp.ts";

const [name = "s0", rounds = "1", kind = "malformed"] = Deno.args;

function packet(text: string, destinationPort = 68): Uint8Array<ArrayBuffer> {
  return buildIpv4Udp({
    source: "192.0.2.1",
    destination: "255.255.255.255",
    sourcePort: 67,
    destinationPort,
    payload: new TextEncoder().encode(text),
  });
}

// The first fragment of a datagram to port 68: "more fragments" set.
const fragment = packet("fragment");
fragment[6] = fragment[6]! | 0x20;

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
  const batch = kind === "filtered"
    ? [packet("to 67", 67), packet("to 69", 69), fragment, packet("good")]
    : [badChecksum, badUdpLength, packet("good")];
  for (const bytes of batch) {
    const sent = c.sendto(fd, bytes, BigInt(bytes.length), 0, address, 20);
    if (Number(sent) < 0) throw new SystemCallError("sendto", errno());
  }
}
c.close(fd);
