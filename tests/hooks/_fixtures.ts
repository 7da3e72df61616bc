/**
 * Leases for the hook tests.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type Lease, leaseFromAck } from "../../lib/client/lease.ts";
import { encodeClasslessRoutes } from "../../lib/dhcp/classless_routes.ts";
import { BOOTREPLY, OptionCode } from "../../lib/dhcp/constants.ts";
import { encodeDomainSearch } from "../../lib/dhcp/domain_search.ts";
import { createMessage } from "../../lib/dhcp/message.ts";
import {
  encodeIpv4List,
  encodeText,
  encodeUint16,
  encodeUint32,
  encodeUint8,
} from "../../lib/dhcp/option_values.ts";
import { DhcpOptions } from "../../lib/dhcp/options.ts";

/**
 * Reads a lease on eth0 from a DHCPACK like dnsmasq's, with every option a
 * lease reads.
 *
 * @param extra More options for the DHCPACK.
 * @returns The lease.
 */
export function realisticLease(extra: Array<[number, Uint8Array]> = []): Lease {
  const options = new DhcpOptions([
    [OptionCode.DHCP_MESSAGE_TYPE, encodeUint8(5)],
    [OptionCode.SERVER_IDENTIFIER, encodeIpv4List(["198.18.0.1"])],
    [OptionCode.IP_ADDRESS_LEASE_TIME, encodeUint32(3600)],
    [OptionCode.RENEWAL_TIME_VALUE, encodeUint32(600)],
    [OptionCode.REBINDING_TIME_VALUE, encodeUint32(1000)],
    [OptionCode.SUBNET_MASK, encodeIpv4List(["255.255.255.0"])],
    [OptionCode.BROADCAST_ADDRESS, encodeIpv4List(["198.18.0.255"])],
    [OptionCode.ROUTER, encodeIpv4List(["198.18.0.1", "198.18.0.2"])],
    [OptionCode.DOMAIN_NAME_SERVER, encodeIpv4List(["198.18.0.53", "9.9.9.9"])],
    [OptionCode.DOMAIN_NAME, encodeText("lab.example")],
    [OptionCode.HOST_NAME, encodeText("web-1")],
    [OptionCode.INTERFACE_MTU, encodeUint16(1400)],
    [
      OptionCode.DOMAIN_SEARCH,
      encodeDomainSearch(["a.example", "b.example"]),
    ],
    [
      OptionCode.CLASSLESS_STATIC_ROUTE,
      encodeClasslessRoutes([
        { destination: "10.0.0.0", prefix: 8, gateway: "198.18.0.1" },
        { destination: "0.0.0.0", prefix: 0, gateway: "198.18.0.2" },
      ]),
    ],
    ...extra,
  ]);
  const ack = createMessage({
    op: BOOTREPLY,
    xid: 7,
    yiaddr: "198.18.0.142",
    siaddr: "198.18.0.1",
    options,
  });
  const { lease, warnings } = leaseFromAck(ack, {
    interface: "eth0",
    acquiredAt: 1000,
  });
  assert.deepEqual(warnings, []);
  return lease;
}

/** Names a hostile server could send, none of them a valid domain name. */
export const HOSTILE_NAMES: readonly string[] = [
  "evil.com; reboot",
  "a\nb",
  "$(touch /tmp/x)",
  "`touch /tmp/x`",
  "x.example\nnameserver 6.6.6.6",
  "a b",
  "'quoted'",
];
