/**
 * The DHCP codec on a typical DHCPACK: decode, read the options a client
 * uses, encode.
 *
 * @module
 */

import {
  classlessStaticRoutes,
  createMessage,
  decodeMessage,
  DhcpOptions,
  domainNameServers,
  domainSearch,
  encodeClasslessRoutes,
  encodeDomainSearch,
  encodeIpv4List,
  encodeMessage,
  encodeText,
  encodeUint16,
  encodeUint32,
  encodeUint8,
  ipAddressLeaseTime,
  MessageType,
  routers,
  subnetMask,
} from "../lib/dhcp/mod.ts";

const ACK = encodeMessage(createMessage({
  op: 2,
  xid: 0x3903f326,
  yiaddr: "192.168.1.100",
  siaddr: "192.168.1.1",
  chaddr: new Uint8Array([0x00, 0x16, 0x3e, 0x12, 0x34, 0x56]),
  options: new DhcpOptions()
    .set(53, encodeUint8(MessageType.ACK))
    .set(54, encodeIpv4List(["192.168.1.1"]))
    .set(51, encodeUint32(3600))
    .set(58, encodeUint32(1800))
    .set(59, encodeUint32(3150))
    .set(1, encodeIpv4List(["255.255.255.0"]))
    .set(28, encodeIpv4List(["192.168.1.255"]))
    .set(3, encodeIpv4List(["192.168.1.1"]))
    .set(6, encodeIpv4List(["192.168.1.1", "8.8.8.8"]))
    .set(15, encodeText("example.com"))
    .set(12, encodeText("myhost"))
    .set(26, encodeUint16(1500))
    .set(119, encodeDomainSearch(["example.com", "lab.example.com"]))
    .set(
      121,
      encodeClasslessRoutes([
        { destination: "10.0.0.0", prefix: 8, gateway: "192.168.1.1" },
        { destination: "0.0.0.0", prefix: 0, gateway: "192.168.1.1" },
      ]),
    ),
}));

Deno.bench("decode + encode a DHCPACK", { baseline: true }, () => {
  encodeMessage(decodeMessage(ACK));
});

Deno.bench("decode a DHCPACK", () => {
  decodeMessage(ACK);
});

Deno.bench("decode a DHCPACK and read its options", () => {
  const { options } = decodeMessage(ACK);
  subnetMask(options);
  routers(options);
  domainNameServers(options);
  ipAddressLeaseTime(options);
  domainSearch(options);
  classlessStaticRoutes(options);
});
