/**
 * Server replies and a fake clock for the client tests.
 *
 * @module
 */

import { BOOTREPLY, OptionCode } from "../../lib/dhcp/constants.ts";
import { createMessage, type DhcpMessage } from "../../lib/dhcp/message.ts";
import { DhcpOptions } from "../../lib/dhcp/options.ts";
import {
  encodeIpv4List,
  encodeUint32,
  encodeUint8,
} from "../../lib/dhcp/option_values.ts";

/** The client's MAC in every test. */
export const MAC: Uint8Array = new Uint8Array([2, 0, 0, 0xab, 0xcd, 0xef]);

/** The server in every test. */
export const SERVER = "192.0.2.1";

/** A clock the test moves by hand. */
export class FakeClock {
  /** Monotonic milliseconds. */
  time = 0;
  /** Returns the current time. */
  now(): number {
    return this.time;
  }
}

/** What a fake reply carries; undefined options are left out. */
export interface ReplyInit {
  xid: number;
  yiaddr?: string;
  server?: string | undefined;
  leaseTime?: number | undefined;
  mask?: string | undefined;
  op?: number;
  chaddr?: Uint8Array;
  extra?: ReadonlyArray<readonly [number, Uint8Array]>;
}

/**
 * Builds a server reply of the given DHCP message type.
 *
 * @param type The DHCP message type (option 53).
 * @param init The fields and options.
 * @returns The reply.
 */
export function reply(type: number, init: ReplyInit): DhcpMessage {
  const options = new DhcpOptions();
  options.set(OptionCode.DHCP_MESSAGE_TYPE, encodeUint8(type));
  const server = "server" in init ? init.server : SERVER;
  if (server !== undefined) {
    options.set(OptionCode.SERVER_IDENTIFIER, encodeIpv4List([server]));
  }
  const leaseTime = "leaseTime" in init ? init.leaseTime : 3600;
  if (leaseTime !== undefined) {
    options.set(OptionCode.IP_ADDRESS_LEASE_TIME, encodeUint32(leaseTime));
  }
  const mask = "mask" in init ? init.mask : "255.255.255.0";
  if (mask !== undefined) {
    options.set(OptionCode.SUBNET_MASK, encodeIpv4List([mask]));
  }
  for (const [code, value] of init.extra ?? []) options.set(code, value);
  const chaddr = new Uint8Array(16);
  chaddr.set(init.chaddr ?? MAC);
  return createMessage({
    op: init.op ?? BOOTREPLY,
    xid: init.xid,
    yiaddr: init.yiaddr ?? "192.0.2.10",
    chaddr,
    options,
  });
}
