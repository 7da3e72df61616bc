import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  broadcastAddress,
  classlessStaticRoutes,
  clientHardwareAddress,
  clientIdentifier,
  createMessage,
  decodeMessage,
  dhcpMessageType,
  DhcpOptions,
  domainName,
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
  formatMac,
  hostName,
  interfaceMtu,
  ipAddressLeaseTime,
  maximumDhcpMessageSize,
  MessageType,
  messageTypeName,
  parameterRequestList,
  rebindingTimeValue,
  renewalTimeValue,
  requestedIpAddress,
  routers,
  serverIdentifier,
  subnetMask,
} from "../../lib/dhcp/mod.ts";
import { ACK, ascii, DISCOVER, MAC } from "./fixtures.ts";

function padded(text: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(ascii(text));
  return out;
}

Deno.test("golden DHCPDISCOVER decodes field by field", () => {
  strictEqual(DISCOVER.length, 300);
  const m = decodeMessage(DISCOVER);
  strictEqual(m.op, 1);
  strictEqual(m.htype, 1);
  strictEqual(m.hlen, 6);
  strictEqual(m.hops, 0);
  strictEqual(m.xid, 0x3903f326);
  strictEqual(m.secs, 4);
  strictEqual(m.flags, 0x8000);
  strictEqual(m.ciaddr, "0.0.0.0");
  strictEqual(m.yiaddr, "0.0.0.0");
  strictEqual(m.siaddr, "0.0.0.0");
  strictEqual(m.giaddr, "0.0.0.0");
  deepStrictEqual(m.chaddr, padded("", 16).map((_, i) => MAC[i] ?? 0));
  strictEqual(formatMac(clientHardwareAddress(m)), "00:16:3e:12:34:56");
  deepStrictEqual(m.sname, new Uint8Array(64));
  deepStrictEqual(m.file, new Uint8Array(128));
  deepStrictEqual(m.options.codes(), [53, 61, 50, 12, 57, 55]);
  strictEqual(dhcpMessageType(m.options), MessageType.DISCOVER);
  strictEqual(messageTypeName(dhcpMessageType(m.options)!), "DHCPDISCOVER");
  deepStrictEqual(
    clientIdentifier(m.options),
    new Uint8Array([1, ...MAC]),
  );
  strictEqual(requestedIpAddress(m.options), "192.168.1.100");
  strictEqual(hostName(m.options), "myhost");
  strictEqual(maximumDhcpMessageSize(m.options), 1500);
  deepStrictEqual(
    parameterRequestList(m.options),
    [1, 28, 3, 15, 6, 119, 12, 26, 121, 42],
  );
});

Deno.test("golden DHCPDISCOVER is what encodeMessage produces", () => {
  const options = new DhcpOptions()
    .set(53, encodeUint8(MessageType.DISCOVER))
    .set(61, new Uint8Array([1, ...MAC]))
    .set(50, encodeIpv4List(["192.168.1.100"]))
    .set(12, encodeText("myhost"))
    .set(57, encodeUint16(1500))
    .set(55, new Uint8Array([1, 28, 3, 15, 6, 119, 12, 26, 121, 42]));
  const message = createMessage({
    op: 1,
    xid: 0x3903f326,
    secs: 4,
    flags: 0x8000,
    chaddr: new Uint8Array(MAC),
    options,
  });
  deepStrictEqual(encodeMessage(message), DISCOVER);
  deepStrictEqual(encodeMessage(decodeMessage(DISCOVER)), DISCOVER);
});

Deno.test("golden DHCPACK decodes field by field", () => {
  const m = decodeMessage(ACK);
  strictEqual(m.op, 2);
  strictEqual(m.htype, 1);
  strictEqual(m.hlen, 6);
  strictEqual(m.hops, 0);
  strictEqual(m.xid, 0x3903f326);
  strictEqual(m.secs, 0);
  strictEqual(m.flags, 0);
  strictEqual(m.ciaddr, "0.0.0.0");
  strictEqual(m.yiaddr, "192.168.1.100");
  strictEqual(m.siaddr, "192.168.1.1");
  strictEqual(m.giaddr, "0.0.0.0");
  deepStrictEqual(m.sname, padded("gateway", 64));
  deepStrictEqual(m.file, new Uint8Array(128));
  deepStrictEqual(
    m.options.codes(),
    [53, 54, 51, 58, 59, 1, 28, 3, 6, 15, 12, 26, 119, 121],
  );
  const o = m.options;
  strictEqual(dhcpMessageType(o), MessageType.ACK);
  strictEqual(serverIdentifier(o), "192.168.1.1");
  strictEqual(ipAddressLeaseTime(o), 3600);
  strictEqual(renewalTimeValue(o), 1800);
  strictEqual(rebindingTimeValue(o), 3150);
  strictEqual(subnetMask(o), "255.255.255.0");
  strictEqual(broadcastAddress(o), "192.168.1.255");
  deepStrictEqual(routers(o), ["192.168.1.1"]);
  deepStrictEqual(domainNameServers(o), ["192.168.1.1", "8.8.8.8"]);
  strictEqual(domainName(o), "example.com");
  strictEqual(hostName(o), "myhost");
  strictEqual(interfaceMtu(o), 1500);
  deepStrictEqual(domainSearch(o), ["example.com", "lab.example.com"]);
  deepStrictEqual(classlessStaticRoutes(o), [
    { destination: "10.0.0.0", prefix: 8, gateway: "192.168.1.1" },
    { destination: "0.0.0.0", prefix: 0, gateway: "192.168.1.1" },
  ]);
});

Deno.test("golden DHCPACK is what encodeMessage produces", () => {
  const options = new DhcpOptions()
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
    );
  const message = createMessage({
    op: 2,
    xid: 0x3903f326,
    yiaddr: "192.168.1.100",
    siaddr: "192.168.1.1",
    chaddr: new Uint8Array(MAC),
    sname: new Uint8Array(ascii("gateway")),
    options,
  });
  deepStrictEqual(encodeMessage(message), ACK);
  deepStrictEqual(encodeMessage(decodeMessage(ACK)), ACK);
});
