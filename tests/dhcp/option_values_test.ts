import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  type ClasslessRoute,
  classlessStaticRoutes,
  clientIdentifier,
  decodeClasslessRoutes,
  decodeDomainSearch,
  DecodeError,
  dhcpMessageType,
  DhcpOptions,
  domainName,
  domainNameServers,
  domainSearch,
  encodeClasslessRoutes,
  encodeDomainSearch,
  encodeIpv4List,
  encodeText,
  encodeUint16,
  encodeUint32,
  encodeUint8,
  hostName,
  interfaceMtu,
  ipAddressLeaseTime,
  maximumDhcpMessageSize,
  message,
  OptionError,
  parameterRequestList,
  routers,
  subnetMask,
  vendorClassIdentifier,
} from "../../lib/dhcp/mod.ts";
import { ascii, SEARCH_VALUE } from "./fixtures.ts";

function one(code: number, value: ArrayLike<number>): DhcpOptions {
  return new DhcpOptions([[code, new Uint8Array(Array.from(value))]]);
}

function optionError(fn: () => unknown): OptionError {
  try {
    fn();
  } catch (error) {
    ok(error instanceof OptionError, `expected OptionError, got ${error}`);
    ok(error instanceof DecodeError);
    return error;
  }
  throw new Error("expected an OptionError, nothing was thrown");
}

function decodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (error) {
    ok(error instanceof DecodeError, `expected DecodeError, got ${error}`);
    return error;
  }
  throw new Error("expected a DecodeError, nothing was thrown");
}

Deno.test("absent options give undefined or []", () => {
  const o = new DhcpOptions();
  strictEqual(subnetMask(o), undefined);
  deepStrictEqual(routers(o), []);
  deepStrictEqual(domainNameServers(o), []);
  deepStrictEqual(parameterRequestList(o), []);
  deepStrictEqual(domainSearch(o), []);
  strictEqual(classlessStaticRoutes(o), undefined);
  strictEqual(hostName(o), undefined);
  strictEqual(clientIdentifier(o), undefined);
});

Deno.test("subnet mask must be 4 bytes and contiguous", () => {
  strictEqual(subnetMask(one(1, [255, 255, 240, 0])), "255.255.240.0");
  strictEqual(subnetMask(one(1, [0, 0, 0, 0])), "0.0.0.0");
  const e = optionError(() => subnetMask(one(1, [255, 0, 255, 0])));
  strictEqual(e.field, "subnet mask (1)");
  strictEqual(
    e.message,
    "Cannot decode DHCP option subnet mask (1): mask 255.0.255.0 is not contiguous",
  );
  const short = optionError(() => subnetMask(one(1, [255, 255, 255])));
  strictEqual(short.offset, 3);
});

Deno.test("address lists must be non-empty multiples of 4", () => {
  deepStrictEqual(routers(one(3, [10, 0, 0, 1, 10, 0, 0, 2])), [
    "10.0.0.1",
    "10.0.0.2",
  ]);
  const e = optionError(() => routers(one(3, [10, 0, 0, 1, 10])));
  strictEqual(e.field, "router (3)");
  strictEqual(e.offset, 4);
  optionError(() => domainNameServers(one(6, [])));
});

Deno.test("numbers: lengths and RFC minimums", () => {
  strictEqual(interfaceMtu(one(26, [0, 68])), 68);
  strictEqual(
    optionError(() => interfaceMtu(one(26, [0, 67]))).field,
    "interface MTU (26)",
  );
  optionError(() => interfaceMtu(one(26, [5])));
  strictEqual(maximumDhcpMessageSize(one(57, [2, 64])), 576);
  optionError(() => maximumDhcpMessageSize(one(57, [2, 63])));
  strictEqual(ipAddressLeaseTime(one(51, [255, 255, 255, 255])), 0xffffffff);
  optionError(() => ipAddressLeaseTime(one(51, [0, 0, 1])));
  strictEqual(dhcpMessageType(one(53, [13])), 13);
  optionError(() => dhcpMessageType(one(53, [1, 2])));
  optionError(() => parameterRequestList(one(55, [])));
  deepStrictEqual(clientIdentifier(one(61, [0, 7])), new Uint8Array([0, 7]));
  optionError(() => clientIdentifier(one(61, [1])));
});

Deno.test("text: UTF-8, trailing NULs stripped, other NULs rejected", () => {
  strictEqual(hostName(one(12, [...ascii("host"), 0])), "host");
  strictEqual(domainName(one(15, [...ascii("a.example"), 0, 0])), "a.example");
  strictEqual(
    message(one(56, encodeText("adresse refusée"))),
    "adresse refusée",
  );
  strictEqual(vendorClassIdentifier(one(60, ascii("MSFT 5.0"))), "MSFT 5.0");
  optionError(() => hostName(one(12, [])));
  optionError(() => hostName(one(12, [0])));
  strictEqual(optionError(() => hostName(one(12, [0x61, 0, 0x62]))).offset, 1);
  optionError(() => hostName(one(12, [0xff, 0xfe])));
});

Deno.test("encoders", () => {
  deepStrictEqual(
    encodeIpv4List(["1.2.3.4", "255.0.0.1"]),
    new Uint8Array([1, 2, 3, 4, 255, 0, 0, 1]),
  );
  deepStrictEqual(encodeUint32(0x01020304), new Uint8Array([1, 2, 3, 4]));
  deepStrictEqual(encodeUint16(1500), new Uint8Array([5, 0xdc]));
  deepStrictEqual(encodeUint8(255), new Uint8Array([255]));
  deepStrictEqual(encodeText("é"), new Uint8Array([0xc3, 0xa9]));
  throws(() => encodeUint32(2 ** 32), RangeError);
  throws(() => encodeUint16(-1), RangeError);
  throws(() => encodeUint8(1.5), RangeError);
  throws(() => encodeIpv4List(["1.2.3"]), TypeError);
});

// Option 119, RFC 3397 and RFC 1035 §4.1.4.

Deno.test("119: names with compression pointers", () => {
  deepStrictEqual(decodeDomainSearch(new Uint8Array(SEARCH_VALUE)), [
    "example.com",
    "lab.example.com",
  ]);
  // RFC 3397 §3's example: eng.apple.com. and marketing.apple.com.
  const rfc = new Uint8Array([
    3,
    ...ascii("eng"),
    5,
    ...ascii("apple"),
    3,
    ...ascii("com"),
    0,
    9,
    ...ascii("marketing"),
    0xc0,
    0x04,
  ]);
  deepStrictEqual(decodeDomainSearch(rfc), [
    "eng.apple.com",
    "marketing.apple.com",
  ]);
  deepStrictEqual(
    encodeDomainSearch(["eng.apple.com.", "marketing.apple.com"]),
    rfc,
  );
  // A whole name as a pointer, a pointer to a pointer, and case kept.
  const chain = new Uint8Array([
    1,
    0x41,
    1,
    0x62,
    0, // A.b at 0
    1,
    0x63,
    0xc0,
    0x02, // c + -> b, at 5
    0xc0,
    0x05, // -> c.b (which itself points back)
  ]);
  deepStrictEqual(decodeDomainSearch(chain), ["A.b", "c.b", "c.b"]);
  deepStrictEqual(decodeDomainSearch(new Uint8Array([0])), [""]);
  deepStrictEqual(decodeDomainSearch(new Uint8Array()), []);
});

Deno.test("119: encode compresses and round-trips", () => {
  const names = [
    "example.com",
    "lab.example.com",
    "example.com",
    "a.lab.example.com",
    "Example.org",
    "org",
  ];
  const value = encodeDomainSearch(names);
  deepStrictEqual(decodeDomainSearch(value), names);
  // example.com (13) + lab+ptr (6) + ptr (2) + a+ptr (4) + Example.org (13)
  // + ptr (2)
  strictEqual(value.length, 40);
  throws(() => encodeDomainSearch(["a..b"]), RangeError);
  throws(() => encodeDomainSearch(["x".repeat(64)]), RangeError);
  throws(
    () => encodeDomainSearch([`${"x".repeat(63)}.`.repeat(4) + "x"]),
    RangeError,
  );
  throws(() => encodeDomainSearch(["has space.com"]), RangeError);
  // A list longer than 255 bytes is fine: the option splits on the wire.
  const many = Array.from({ length: 40 }, (_, i) => `host${i}.example.net`);
  const big = encodeDomainSearch(many);
  ok(big.length > 255);
  deepStrictEqual(decodeDomainSearch(big), many);
});

Deno.test("119: bounds the work and the output of compression", () => {
  // The root at 0, then each pointer points at the one before it: every
  // name is a chain of pointers back to the root, so decoding the list
  // would take time quadratic in its length.
  const count = 4000;
  const chain = new Uint8Array(1 + 2 * count);
  for (let i = 0; i < count; i++) {
    const target = i === 0 ? 0 : 1 + 2 * (i - 1);
    chain[1 + 2 * i] = 0xc0 | (target >> 8);
    chain[2 + 2 * i] = target & 0xff;
  }
  const tooDeep = decodeError(() => decodeDomainSearch(chain));
  ok(/follows more than 127 pointers/.test(tooDeep.message), tooDeep.message);
  // A chain of exactly 127 pointers is a valid (if odd) encoding.
  deepStrictEqual(
    decodeDomainSearch(chain.subarray(0, 1 + 2 * 127)).length,
    128,
  );
  // One long name, then pointers to it: two bytes each stand for 250
  // characters, so the decoded list must be bounded.
  const label = [63, ...new Array(63).fill(0x61)];
  const long = [
    ...label,
    ...label,
    ...label,
    61,
    ...new Array(61).fill(0x62),
    0,
  ];
  const repeats = new Array(400).fill([0xc0, 0x00]).flat();
  const huge = decodeError(() =>
    decodeDomainSearch(new Uint8Array([...long, ...repeats]))
  );
  ok(/decodes to more than 65536 characters/.test(huge.message), huge.message);
  // Below the bound the same list decodes.
  strictEqual(
    decodeDomainSearch(new Uint8Array([...long, ...repeats.slice(0, 400)]))
      .length,
    201,
  );
});

Deno.test("119: loops, forward pointers, out of range, bad labels", () => {
  // A pointer to itself.
  const self = decodeError(() =>
    decodeDomainSearch(new Uint8Array([0xc0, 0x00]))
  );
  strictEqual(self.field, "domain search (119)");
  // A loop between two pointers: 1 a -> 4 ; 1 b -> 0.
  decodeError(() =>
    decodeDomainSearch(
      new Uint8Array([1, 0x61, 0xc0, 0x04, 1, 0x62, 0xc0, 0x00]),
    )
  );
  // A forward pointer to a valid name.
  const forward = decodeError(() =>
    decodeDomainSearch(new Uint8Array([1, 0x61, 0xc0, 0x05, 0, 1, 0x62, 0]))
  );
  strictEqual(forward.offset, 2);
  // A pointer into the name it is part of.
  decodeError(() =>
    decodeDomainSearch(new Uint8Array([0, 1, 0x61, 0xc0, 0x01]))
  );
  // Out of range.
  const out = decodeError(() =>
    decodeDomainSearch(new Uint8Array([0, 0xc0, 0x09]))
  );
  ok(out.message.includes("past the end"));
  decodeError(() => decodeDomainSearch(new Uint8Array([0, 0xff, 0xff])));
  // Cut pointer, cut label, missing terminator.
  decodeError(() => decodeDomainSearch(new Uint8Array([0xc0])));
  decodeError(() => decodeDomainSearch(new Uint8Array([3, 0x61, 0x62])));
  decodeError(() => decodeDomainSearch(new Uint8Array([1, 0x61])));
  // Label types 01 and 10 (lengths 64 to 191).
  decodeError(() =>
    decodeDomainSearch(new Uint8Array([64, ...new Array(64).fill(0x61), 0]))
  );
  decodeError(() => decodeDomainSearch(new Uint8Array([0x80, 0])));
  // A name over 255 bytes, even through pointers.
  const label = [63, ...new Array(63).fill(0x61)];
  decodeError(() =>
    decodeDomainSearch(
      new Uint8Array([...label, ...label, ...label, ...label, 0]),
    )
  );
  const base = [...label, ...label, ...label, 0];
  deepStrictEqual(decodeDomainSearch(new Uint8Array(base)).length, 1);
  decodeError(() =>
    decodeDomainSearch(new Uint8Array([...base, ...label, 0xc0, 0]))
  );
  // Bytes that a search list cannot carry.
  decodeError(() =>
    decodeDomainSearch(new Uint8Array([3, 0x61, 0x2e, 0x62, 0]))
  );
  decodeError(() => decodeDomainSearch(new Uint8Array([1, 0x00, 0])));
  // Through the getter it is an OptionError with the option's name.
  const e = optionError(() => domainSearch(one(119, [0xc0, 0x00])));
  strictEqual(e.field, "domain search (119)");
  strictEqual(e.offset, 0);
  ok(
    e.message.startsWith(
      "Cannot decode DHCP option domain search (119): pointer",
    ),
  );
  optionError(() => domainSearch(one(119, [])));
});

// Option 121, RFC 3442.

const RFC3442: Array<[number[], ClasslessRoute]> = [
  [[0], { destination: "0.0.0.0", prefix: 0, gateway: "10.0.0.1" }],
  [[8, 10], { destination: "10.0.0.0", prefix: 8, gateway: "10.0.0.1" }],
  [[16, 10, 17], { destination: "10.17.0.0", prefix: 16, gateway: "10.0.0.1" }],
  [[24, 10, 27, 129], {
    destination: "10.27.129.0",
    prefix: 24,
    gateway: "10.0.0.1",
  }],
  [[25, 10, 229, 0, 128], {
    destination: "10.229.0.128",
    prefix: 25,
    gateway: "10.0.0.1",
  }],
  [[32, 10, 198, 122, 47], {
    destination: "10.198.122.47",
    prefix: 32,
    gateway: "10.0.0.1",
  }],
];

Deno.test("121: the RFC 3442 destination descriptors", () => {
  for (const [descriptor, route] of RFC3442) {
    const value = new Uint8Array([...descriptor, 10, 0, 0, 1]);
    deepStrictEqual(decodeClasslessRoutes(value), [route]);
    deepStrictEqual(encodeClasslessRoutes([route]), value);
  }
  const all = RFC3442.map(([, route]) => route);
  const value = encodeClasslessRoutes(all);
  strictEqual(value.length, RFC3442.reduce((n, [d]) => n + d.length + 4, 0));
  deepStrictEqual(decodeClasslessRoutes(value), all);
  deepStrictEqual(classlessStaticRoutes(one(121, value)), all);
  // On-link: gateway 0.0.0.0.
  deepStrictEqual(
    decodeClasslessRoutes(new Uint8Array([24, 192, 168, 5, 0, 0, 0, 0])),
    [
      { destination: "192.168.5.0", prefix: 24, gateway: "0.0.0.0" },
    ],
  );
});

Deno.test("121: bits beyond the prefix are masked off", () => {
  deepStrictEqual(
    decodeClasslessRoutes(new Uint8Array([12, 10, 31, 1, 2, 3, 4])),
    [
      { destination: "10.16.0.0", prefix: 12, gateway: "1.2.3.4" },
    ],
  );
  deepStrictEqual(
    decodeClasslessRoutes(new Uint8Array([1, 0xff, 1, 2, 3, 4])),
    [
      { destination: "128.0.0.0", prefix: 1, gateway: "1.2.3.4" },
    ],
  );
  throws(
    () =>
      encodeClasslessRoutes([{
        destination: "10.1.0.0",
        prefix: 8,
        gateway: "1.2.3.4",
      }]),
    RangeError,
  );
  throws(
    () =>
      encodeClasslessRoutes([{
        destination: "10.0.0.0",
        prefix: 33,
        gateway: "1.2.3.4",
      }]),
    RangeError,
  );
});

Deno.test("121: prefix 33 and truncation are rejected", () => {
  const e = decodeError(() =>
    decodeClasslessRoutes(new Uint8Array([33, 10, 0, 0, 0, 0, 1, 2, 3, 4]))
  );
  strictEqual(e.offset, 0);
  strictEqual(e.field, "classless static route (121)");
  const t = decodeError(() =>
    decodeClasslessRoutes(
      new Uint8Array([0, 1, 2, 3, 4, 24, 10, 0, 0, 1, 2, 3]),
    )
  );
  strictEqual(t.offset, 5);
  const o = optionError(() =>
    classlessStaticRoutes(one(121, [33, 1, 2, 3, 4, 5, 6, 7, 8]))
  );
  strictEqual(o.field, "classless static route (121)");
  optionError(() => classlessStaticRoutes(one(121, [])));
});

Deno.test("119 and 121 decoders throw only DecodeError on random values", () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let i = 0; i < 3000; i++) {
    const value = new Uint8Array(Math.floor(random() * 80));
    // Mostly small bytes, so that labels and prefixes are often valid.
    for (let j = 0; j < value.length; j++) {
      value[j] = random() < 0.7
        ? Math.floor(random() * 40)
        : Math.floor(random() * 256);
    }
    for (const decode of [decodeDomainSearch, decodeClasslessRoutes]) {
      try {
        decode(value);
      } catch (error) {
        ok(error instanceof DecodeError, `${decode.name}: ${error}`);
      }
    }
  }
});
