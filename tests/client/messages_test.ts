import assert from "node:assert/strict";
import {
  BOOTREQUEST,
  MessageType,
  OptionCode,
} from "../../lib/dhcp/constants.ts";
import type { DhcpMessage } from "../../lib/dhcp/message.ts";
import {
  clientIdentifier,
  dhcpMessageType,
  maximumDhcpMessageSize,
  parameterRequestList,
  requestedIpAddress,
  serverIdentifier,
} from "../../lib/dhcp/option_values.ts";
import {
  buildDecline,
  buildDiscover,
  buildRelease,
  buildRequest,
  clientIdentifierOf,
  type ClientIdentity,
  DEFAULT_REQUESTED_OPTIONS,
  encodeClientFqdn,
  MAXIMUM_MESSAGE_SIZE,
} from "../../lib/client/messages.ts";
import { MAC, SERVER } from "./_fixtures.ts";

const IDENTITY: ClientIdentity = { hardwareAddress: MAC };
const ADDRESS = "192.0.2.10";

function assertHeader(message: DhcpMessage, type: number, xid: number) {
  assert.equal(message.op, BOOTREQUEST);
  assert.equal(message.htype, 1);
  assert.equal(message.hlen, 6);
  assert.equal(message.xid, xid);
  assert.equal(message.flags, 0);
  assert.deepEqual(message.chaddr.subarray(0, 6), MAC);
  assert.deepEqual(message.chaddr.subarray(6), new Uint8Array(10));
  assert.equal(dhcpMessageType(message.options), type);
  assert.deepEqual(
    clientIdentifier(message.options),
    new Uint8Array([1, ...MAC]),
  );
}

Deno.test("buildDiscover() sets the header and parameters", () => {
  const message = buildDiscover(IDENTITY, { xid: 0x1234, secs: 3.7 });
  assertHeader(message, MessageType.DISCOVER, 0x1234);
  assert.equal(message.secs, 3);
  assert.equal(message.ciaddr, "0.0.0.0");
  assert.equal(
    maximumDhcpMessageSize(message.options),
    MAXIMUM_MESSAGE_SIZE,
  );
  assert.ok(MAXIMUM_MESSAGE_SIZE >= 576);
  assert.deepEqual(
    parameterRequestList(message.options),
    [1, 3, 6, 12, 15, 26, 28, 51, 54, 58, 59, 119, 121],
  );
  assert.equal(requestedIpAddress(message.options), undefined);
  assert.equal(serverIdentifier(message.options), undefined);
  for (const code of [12, 60, 81]) {
    assert.equal(message.options.has(code), false, `option ${code}`);
  }
});

Deno.test("buildDiscover() carries a hint and caps secs", () => {
  const message = buildDiscover(IDENTITY, {
    xid: 1,
    secs: 100_000,
    requestedAddress: ADDRESS,
  });
  assert.equal(message.secs, 0xffff);
  assert.equal(requestedIpAddress(message.options), ADDRESS);
});

Deno.test("buildDiscover() sends configured identity options", () => {
  const message = buildDiscover({
    hardwareAddress: MAC,
    clientIdentifier: new Uint8Array([0, 1, 2]),
    hostName: "web",
    vendorClassIdentifier: "ocidhcp",
    fqdn: "web.example.org",
    requestedOptions: [42, 3, 42, 100],
  }, { xid: 1, secs: 0 });
  assert.deepEqual(
    clientIdentifier(message.options),
    new Uint8Array([0, 1, 2]),
  );
  assert.deepEqual(
    message.options.get(OptionCode.HOST_NAME),
    new TextEncoder().encode("web"),
  );
  assert.deepEqual(
    message.options.get(OptionCode.VENDOR_CLASS_IDENTIFIER),
    new TextEncoder().encode("ocidhcp"),
  );
  assert.deepEqual(
    message.options.get(OptionCode.CLIENT_FQDN),
    encodeClientFqdn("web.example.org"),
  );
  assert.deepEqual(
    parameterRequestList(message.options),
    [...DEFAULT_REQUESTED_OPTIONS, 42, 100],
  );
});

Deno.test("buildRequest() follows RFC 2131 4.3.2 per case", async (t) => {
  const cases: Array<
    [
      string,
      Parameters<typeof buildRequest>[1],
      string,
      string | undefined,
      string | undefined,
    ]
  > = [
    [
      "selecting",
      {
        kind: "selecting",
        xid: 7,
        secs: 2,
        requestedAddress: ADDRESS,
        serverIdentifier: SERVER,
      },
      "0.0.0.0",
      ADDRESS,
      SERVER,
    ],
    [
      "init-reboot",
      { kind: "init-reboot", xid: 7, secs: 2, requestedAddress: ADDRESS },
      "0.0.0.0",
      ADDRESS,
      undefined,
    ],
    [
      "renewing",
      { kind: "renewing", xid: 7, secs: 2, clientAddress: ADDRESS },
      ADDRESS,
      undefined,
      undefined,
    ],
    [
      "rebinding",
      { kind: "rebinding", xid: 7, secs: 2, clientAddress: ADDRESS },
      ADDRESS,
      undefined,
      undefined,
    ],
  ];
  for (const [name, options, ciaddr, requested, server] of cases) {
    await t.step(name, () => {
      const message = buildRequest(IDENTITY, options);
      assertHeader(message, MessageType.REQUEST, 7);
      assert.equal(message.secs, 2);
      assert.equal(message.ciaddr, ciaddr);
      assert.equal(requestedIpAddress(message.options), requested);
      assert.equal(serverIdentifier(message.options), server);
      assert.ok(message.options.has(OptionCode.PARAMETER_REQUEST_LIST));
    });
  }
});

Deno.test("buildRelease() and buildDecline() follow RFC 2131 table 5", async (t) => {
  const identity: ClientIdentity = {
    hardwareAddress: MAC,
    hostName: "web",
    vendorClassIdentifier: "ocidhcp",
  };
  await t.step("release", () => {
    const message = buildRelease(identity, {
      xid: 9,
      clientAddress: ADDRESS,
      serverIdentifier: SERVER,
    });
    assertHeader(message, MessageType.RELEASE, 9);
    assert.equal(message.ciaddr, ADDRESS);
    assert.equal(message.secs, 0);
    assert.equal(serverIdentifier(message.options), SERVER);
    assert.equal(requestedIpAddress(message.options), undefined);
    for (const code of [55, 57, 60]) {
      assert.equal(message.options.has(code), false, `option ${code}`);
    }
  });
  await t.step("decline", () => {
    const message = buildDecline(identity, {
      xid: 9,
      requestedAddress: ADDRESS,
      serverIdentifier: SERVER,
    });
    assertHeader(message, MessageType.DECLINE, 9);
    assert.equal(message.ciaddr, "0.0.0.0");
    assert.equal(message.secs, 0);
    assert.equal(serverIdentifier(message.options), SERVER);
    assert.equal(requestedIpAddress(message.options), ADDRESS);
    for (const code of [55, 57, 60]) {
      assert.equal(message.options.has(code), false, `option ${code}`);
    }
  });
});

Deno.test("encodeClientFqdn() writes RFC 4702 wire format", async (t) => {
  await t.step("fully qualified", () => {
    assert.deepEqual(
      encodeClientFqdn("a.example"),
      new Uint8Array([5, 0, 0, 1, 97, 7, 101, 120, 97, 109, 112, 108, 101, 0]),
    );
  });
  await t.step("final dot", () => {
    assert.deepEqual(
      encodeClientFqdn("a."),
      new Uint8Array([5, 0, 0, 1, 97, 0]),
    );
  });
  await t.step("single label is partial", () => {
    assert.deepEqual(encodeClientFqdn("a"), new Uint8Array([5, 0, 0, 1, 97]));
  });
  await t.step("bad names", () => {
    for (const name of ["", "a..b", "x".repeat(64), "caf\u00e9"]) {
      assert.throws(() => encodeClientFqdn(name), RangeError, name);
    }
    const long = Array(64).fill("abc").join(".");
    assert.throws(() => encodeClientFqdn(long), /at most 255 bytes/);
  });
});

Deno.test("clientIdentifierOf() rejects a MAC that is not 6 bytes", () => {
  assert.throws(
    () => clientIdentifierOf({ hardwareAddress: new Uint8Array(5) }),
    new RangeError("Hardware address must be 6 bytes, got 5"),
  );
});
