import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  broadcastAddress,
  formatIpv4,
  inSubnet,
  ipv4FromBytes,
  ipv4ToBytes,
  isIpv4,
  maskToPrefix,
  networkAddress,
  parseIpv4,
  prefixToMask,
  uint32FromBytes,
  unicastProblem,
} from "../../lib/net/ipv4.ts";

/**
 * An independent statement of the grammar: four decimal octets of 0 to
 * 255, no leading zeros, nothing else. The parser under test scans
 * characters instead, so the two can disagree only through a bug.
 */
function reference(text: string): number | undefined {
  const match =
    /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/
      .exec(text);
  if (match === null) return undefined;
  const octets = match.slice(1).map(Number);
  if (octets.some((octet) => octet > 255)) return undefined;
  return octets.reduce((value, octet) => value * 256 + octet, 0);
}

const HANDPICKED = [
  "0.0.0.0",
  "255.255.255.255",
  "192.168.1.100",
  "10.0.0.1",
  "01.2.3.4",
  "1.2.3.04",
  "1.2.3.00",
  "1.2.3",
  "1.2.3.4.",
  ".1.2.3",
  "1..2.3",
  "1.2.3.4.5",
  "256.0.0.0",
  "1.2.3.1000",
  " 1.2.3.4",
  "1.2.3.4\n",
  "1.2.3.+4",
  "1.2.3.-0",
  "1.2.3.0x1",
  "\uff11.2.3.4",
  "1.2.3.4\u0000",
  "",
];

/** Near-quads: 3 to 5 groups of 0 to 4 digits, seeded. */
function generated(count: number): string[] {
  let state = 7;
  const next = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state >>> 8) % n;
  };
  const digits = "012569";
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const groups: string[] = [];
    const groupCount = next(8) === 0 ? 3 + 2 * next(2) : 4;
    for (let g = 0; g < groupCount; g++) {
      let group = "";
      const length = next(10) === 0 ? next(5) : 1 + next(3);
      for (let d = 0; d < length; d++) group += digits[next(digits.length)];
      groups.push(group);
    }
    out.push(groups.join("."));
  }
  return out;
}

Deno.test("parseIpv4() accepts exactly the strict dotted quads", () => {
  let accepted = 0;
  for (const text of [...HANDPICKED, ...generated(20000)]) {
    const expected = reference(text);
    if (expected === undefined) {
      throws(() => parseIpv4(text), TypeError, JSON.stringify(text));
      strictEqual(isIpv4(text), false, JSON.stringify(text));
    } else {
      strictEqual(parseIpv4(text), expected, text);
      strictEqual(isIpv4(text), true, text);
      accepted++;
    }
  }
  // The generator must exercise both sides, or the test proves little.
  strictEqual(accepted > 1000, true, `only ${accepted} valid inputs`);
});

Deno.test("parseIpv4() names the octet or the count that is wrong", () => {
  throws(() => parseIpv4("1.2.3"), /expected 4 octets, got "1\.2\.3"/);
  throws(() => parseIpv4("1.2.3.4.5"), /expected 4 octets/);
  throws(() => parseIpv4("1.2.300.4"), /octet "300" is not 0 to 255/);
  throws(() => parseIpv4("1.02.3.4"), /octet "02" is not 0 to 255/);
  throws(() => parseIpv4("1..3.4"), /octet "" is not 0 to 255/);
});

Deno.test("formatIpv4() is the inverse of parseIpv4()", () => {
  for (const text of ["0.0.0.0", "255.255.255.255", "198.18.0.1"]) {
    strictEqual(formatIpv4(parseIpv4(text)), text);
  }
  strictEqual(formatIpv4(0xc0000201), "192.0.2.1");
  throws(() => formatIpv4(-1), RangeError);
  throws(() => formatIpv4(2 ** 32), RangeError);
  throws(() => formatIpv4(1.5), RangeError);
});

Deno.test("addresses convert to and from network-order bytes", () => {
  const bytes = new Uint8Array([9, 192, 0, 2, 1, 7]);
  strictEqual(ipv4FromBytes(bytes, 1), "192.0.2.1");
  strictEqual(uint32FromBytes(bytes, 1), 0xc0000201);
  strictEqual(
    uint32FromBytes(new Uint8Array([255, 255, 255, 255]), 0),
    2 ** 32 - 1,
  );
  deepStrictEqual(ipv4ToBytes("192.0.2.1"), new Uint8Array([192, 0, 2, 1]));
  throws(() => ipv4FromBytes(bytes, 3), RangeError);
  throws(() => ipv4ToBytes("192.0.2"), TypeError);
});

Deno.test("prefixes and masks convert both ways, contiguous masks only", () => {
  strictEqual(prefixToMask(0), 0);
  strictEqual(prefixToMask(24), 0xffffff00);
  strictEqual(prefixToMask(32), 0xffffffff);
  for (let prefix = 0; prefix <= 32; prefix++) {
    strictEqual(maskToPrefix(prefixToMask(prefix)), prefix);
  }
  strictEqual(maskToPrefix("255.255.240.0"), 20);
  throws(() => maskToPrefix("255.0.255.0"), /contiguous/);
  throws(() => prefixToMask(33), RangeError);
});

Deno.test("network, broadcast and subnet membership", () => {
  strictEqual(networkAddress("198.18.5.77", 22), "198.18.4.0");
  strictEqual(broadcastAddress("198.18.5.77", 22), "198.18.7.255");
  strictEqual(inSubnet("198.18.7.1", "198.18.4.0", 22), true);
  strictEqual(inSubnet("198.18.8.1", "198.18.4.0", 22), false);
  strictEqual(inSubnet("203.0.113.1", "198.18.4.0", 0), true);
});

Deno.test("unicastProblem() tells why an address cannot be a host's", () => {
  const cases: Array<[string, ReturnType<typeof unicastProblem>]> = [
    ["0.0.0.0", "unspecified"],
    ["255.255.255.255", "limited broadcast"],
    ["0.1.2.3", "this network"],
    ["127.0.0.1", "loopback"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.255", "multicast"],
    ["240.0.0.1", "reserved"],
    ["198.18.0.100", null],
    ["1.0.0.0", null],
  ];
  for (const [address, problem] of cases) {
    strictEqual(unicastProblem(address), problem, address);
  }
});
