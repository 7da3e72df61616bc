/**
 * Minimal hand-built DHCP messages for transport tests, independent of the
 * DHCP codec so that these tests do not depend on it.
 *
 * @module
 */

/** Builds a DHCPDISCOVER: op 1, Ethernet, the xid and MAC, option 53 = 1. */
export function discover(xid: number, mac: string): Uint8Array {
  const bytes = new Uint8Array(300);
  const view = new DataView(bytes.buffer);
  bytes[0] = 1; // op BOOTREQUEST
  bytes[1] = 1; // htype Ethernet
  bytes[2] = 6; // hlen
  view.setUint32(4, xid);
  mac.split(":").forEach((part, index) => {
    bytes[28 + index] = parseInt(part, 16);
  });
  view.setUint32(236, 0x63825363); // magic cookie
  bytes.set([53, 1, 1, 255], 240);
  return bytes;
}

/** Reads op, xid, yiaddr and the DHCP message type from a reply. */
export function summarize(
  payload: Uint8Array,
): { op: number; xid: number; yiaddr: string; messageType: number } {
  const view = new DataView(payload.buffer, payload.byteOffset);
  let messageType = 0;
  for (let at = 240; at + 1 < payload.length;) {
    const code = payload[at]!;
    if (code === 255) break;
    if (code === 0) {
      at++;
      continue;
    }
    const length = payload[at + 1]!;
    if (code === 53) messageType = payload[at + 2]!;
    at += 2 + length;
  }
  return {
    op: payload[0]!,
    xid: view.getUint32(4),
    yiaddr: [...payload.subarray(16, 20)].join("."),
    messageType,
  };
}
