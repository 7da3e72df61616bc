/**
 * Captures the DHCP messages on a lab interface with tcpdump, to check what
 * went over the wire rather than what a log line says.
 */

import assert from "node:assert/strict";
import { decodeMessage, type DhcpMessage } from "../../lib/dhcp/message.ts";
import { ipv4FromBytes } from "../../lib/net/ipv4.ts";
import type { Lab } from "../../lib/lab/lab.ts";
import type { LabProcess } from "../../lib/lab/lab_process.ts";

/** A captured DHCP message with the IPv4 addresses it travelled between. */
export interface DhcpPacket {
  /** The IPv4 source address. */
  source: string;
  /** The IPv4 destination address. */
  destination: string;
  /** The decoded message. */
  message: DhcpMessage;
}

/**
 * The DHCP packets in a pcap file of Ethernet frames carrying IPv4 and UDP.
 *
 * @param pcap The file's bytes; a record still being written is ignored.
 * @returns The packets, in capture order.
 */
export function dhcpPackets(pcap: Uint8Array): DhcpPacket[] {
  const view = new DataView(pcap.buffer, pcap.byteOffset, pcap.length);
  // tcpdump writes the file in host order; 0xa1b2c3d4 read little-endian
  // means a little-endian file.
  const little = view.getUint32(0, true) === 0xa1b2c3d4;
  assert.ok(little || view.getUint32(0) === 0xa1b2c3d4, "not a pcap file");
  assert.equal(view.getUint32(20, little), 1, "link type is not Ethernet");
  const packets: DhcpPacket[] = [];
  let at = 24;
  while (at + 16 <= pcap.length) {
    const length = view.getUint32(at + 8, little);
    // tcpdump may be writing the last record right now.
    if (at + 16 + length > pcap.length) break;
    const frame = pcap.subarray(at + 16, at + 16 + length);
    at += 16 + length;
    const ip = 14;
    const udp = ip + (frame[ip]! & 0x0f) * 4;
    packets.push({
      source: ipv4FromBytes(frame, ip + 12),
      destination: ipv4FromBytes(frame, ip + 16),
      message: decodeMessage(frame.slice(udp + 8)),
    });
  }
  return packets;
}

/**
 * The DHCP messages in a pcap file of Ethernet frames carrying IPv4 and UDP.
 *
 * @param pcap The file's bytes; a record still being written is ignored.
 * @returns The decoded DHCP messages, in capture order.
 */
export function dhcpMessages(pcap: Uint8Array): DhcpMessage[] {
  return dhcpPackets(pcap).map((packet) => packet.message);
}

/** A running capture of DHCP traffic. */
export interface DhcpCapture {
  /** The messages captured so far. */
  messages(): Promise<DhcpMessage[]>;
  /** The packets captured so far, with their IPv4 addresses. */
  packets(): Promise<DhcpPacket[]>;
  /** Stops tcpdump. */
  stop(): Promise<void>;
}

/**
 * Starts tcpdump on an interface of the lab's client namespace, writing
 * DHCP traffic (UDP ports 67 and 68) to a file in `dir`, and waits until it
 * listens.
 *
 * @param lab The lab.
 * @param dir A directory for the capture file.
 * @param device The client-side interface.
 * @returns The capture; stop it when done.
 */
export async function captureDhcp(
  lab: Lab,
  dir: string,
  device = "eth0",
): Promise<DhcpCapture> {
  const file = `${dir}/dhcp-${device}.pcap`;
  // -Z root: tcpdump would otherwise drop to a user that cannot write into
  // a private temporary directory.
  const tcpdump: LabProcess = lab.spawn([
    "tcpdump",
    "-i",
    device,
    "-n",
    "-U",
    "--immediate-mode",
    "-Z",
    "root",
    "-w",
    file,
    "udp port 67 or udp port 68",
  ]);
  await tcpdump.waitFor(/listening on/, 10_000);
  return {
    async messages() {
      return dhcpMessages(await Deno.readFile(file));
    },
    async packets() {
      return dhcpPackets(await Deno.readFile(file));
    },
    async stop() {
      await tcpdump.stop();
    },
  };
}
