import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  createMessage,
  DecodeError,
  decodeMessage,
  type DhcpMessage,
  DhcpOptions,
  encodeMessage,
  encodeText,
  hostName,
  messageTypeName,
  optionName,
  parseMac,
} from "../../lib/dhcp/mod.ts";
import { ACK, bytes, DISCOVER, zeros } from "./fixtures.ts";

function decodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (error) {
    ok(error instanceof DecodeError, `expected DecodeError, got ${error}`);
    return error;
  }
  throw new Error("expected a DecodeError, nothing was thrown");
}

/** A message whose options area is the given bytes, nothing else. */
function withOptions(
  options: ArrayLike<number>,
  sname: ArrayLike<number> = zeros(64),
  file: ArrayLike<number> = zeros(128),
): Uint8Array {
  return bytes(
    DISCOVER.subarray(0, 44),
    sname,
    file,
    [0x63, 0x82, 0x53, 0x63],
    options,
  );
}

function sameMessage(a: DhcpMessage, b: DhcpMessage): void {
  const { options: ao, ...ah } = a;
  const { options: bo, ...bh } = b;
  deepStrictEqual(ah, bh);
  deepStrictEqual(ao.entries(), bo.entries());
}

Deno.test("constants name message types and options", () => {
  strictEqual(messageTypeName(5), "DHCPACK");
  strictEqual(messageTypeName(9), "type 9");
  strictEqual(optionName(1), "subnet mask (1)");
  strictEqual(optionName(224), "option 224");
});

Deno.test("DhcpOptions keeps first-insertion order and raw values", () => {
  const o = new DhcpOptions([
    [53, new Uint8Array([1])],
    [12, encodeText("ab")],
    [53, new Uint8Array([2])],
  ]);
  deepStrictEqual(o.codes(), [53, 12]);
  deepStrictEqual(o.get(53), new Uint8Array([1, 2]));
  o.set(53, new Uint8Array([5]));
  deepStrictEqual(o.codes(), [53, 12]);
  deepStrictEqual(o.get(53), new Uint8Array([5]));
  o.append(12, encodeText("cd")).append(99, new Uint8Array());
  strictEqual(hostName(o), "abcd");
  deepStrictEqual(o.get(99), new Uint8Array());
  strictEqual(o.size, 3);
  ok(o.delete(53));
  ok(!o.delete(53));
  ok(!o.has(53));
  deepStrictEqual(o.entries(), [[12, encodeText("abcd")], [
    99,
    new Uint8Array(),
  ]]);
  throws(() => o.set(0, new Uint8Array([1])), RangeError);
  throws(() => o.set(255, new Uint8Array([1])), RangeError);
  throws(() => o.append(256, new Uint8Array([1])), RangeError);
  throws(() => new DhcpOptions([[255, new Uint8Array()]]), RangeError);
  const source = new Uint8Array([1, 2]);
  o.set(7, source);
  source[0] = 9;
  deepStrictEqual(o.get(7), new Uint8Array([1, 2]), "values are copied in");
});

Deno.test("round trip keeps every header field and option", () => {
  const message = createMessage({
    op: 2,
    htype: 6,
    hlen: 16,
    hops: 3,
    xid: 0xffffffff,
    secs: 65535,
    flags: 0x8000,
    ciaddr: "10.0.0.1",
    yiaddr: "10.0.0.2",
    siaddr: "10.0.0.3",
    giaddr: "10.0.0.4",
    chaddr: new Uint8Array(16).fill(0xab),
    sname: new Uint8Array(64).fill(0x41),
    file: new Uint8Array(128).fill(0x42),
    options: new DhcpOptions([[53, new Uint8Array([2])]]),
  });
  const wire = encodeMessage(message);
  strictEqual(wire.length, 300);
  sameMessage(decodeMessage(wire), message);
});

Deno.test("createMessage defaults and pads", () => {
  const m = createMessage({ chaddr: parseMac("00-16-3E-12-34-56") });
  strictEqual(m.op, 0);
  strictEqual(m.htype, 1);
  strictEqual(m.hlen, 6);
  strictEqual(m.ciaddr, "0.0.0.0");
  strictEqual(m.chaddr.length, 16);
  deepStrictEqual([...m.chaddr.subarray(0, 7)], [
    0,
    0x16,
    0x3e,
    0x12,
    0x34,
    0x56,
    0,
  ]);
  strictEqual(m.sname.length, 64);
  strictEqual(m.file.length, 128);
  strictEqual(m.options.size, 0);
  throws(() => createMessage({ chaddr: new Uint8Array(17) }), RangeError);
});

Deno.test("encodeMessage rejects invalid fields", () => {
  const base = createMessage({ op: 1 });
  throws(() => encodeMessage({ ...base, xid: -1 }), RangeError);
  throws(() => encodeMessage({ ...base, xid: 2 ** 32 }), RangeError);
  throws(() => encodeMessage({ ...base, xid: 1.5 }), RangeError);
  throws(() => encodeMessage({ ...base, op: 256 }), RangeError);
  throws(() => encodeMessage({ ...base, secs: 65536 }), RangeError);
  throws(() => encodeMessage({ ...base, flags: NaN }), RangeError);
  throws(() => encodeMessage({ ...base, ciaddr: "1.2.3" }), TypeError);
  throws(() => encodeMessage({ ...base, yiaddr: "256.0.0.1" }), TypeError);
  throws(
    () => encodeMessage({ ...base, xid: "1" as unknown as number }),
    TypeError,
  );
  throws(
    () => encodeMessage({ ...base, file: new Uint8Array(129) }),
    RangeError,
  );
});

Deno.test("encodeMessage writes valid addresses and refuses the rest", () => {
  // The grammar itself is tested with parseIpv4 in tests/net/ipv4_test.ts;
  // this checks that every address field goes through it.
  const base = createMessage({ op: 1 });
  for (const field of ["ciaddr", "yiaddr", "siaddr", "giaddr"] as const) {
    const bytes = encodeMessage({ ...base, [field]: "192.0.2.254" });
    const at = { ciaddr: 12, yiaddr: 16, siaddr: 20, giaddr: 24 }[field];
    deepStrictEqual([...bytes.subarray(at, at + 4)], [192, 0, 2, 254], field);
    for (const bad of ["01.2.3.4", "1.2.3", "256.0.0.0", " 1.2.3.4", ""]) {
      throws(
        () => encodeMessage({ ...base, [field]: bad }),
        TypeError,
        `${field} ${JSON.stringify(bad)}`,
      );
    }
  }
});

Deno.test("unknown options survive decode then encode", () => {
  const value = new Uint8Array([0, 255, 1, 2, 3, 0xde, 0xad]);
  const m = createMessage({ op: 1, options: new DhcpOptions([[224, value]]) });
  const wire = encodeMessage(m);
  const back = decodeMessage(wire);
  deepStrictEqual(back.options.get(224), value);
  deepStrictEqual(encodeMessage(back), wire);
  // An unknown option in a real packet, between known ones.
  const packet = withOptions([53, 1, 1, 224, 3, 9, 8, 7, 250, 0, 255]);
  const decoded = decodeMessage(packet);
  deepStrictEqual(decoded.options.codes(), [53, 224, 250]);
  deepStrictEqual(decoded.options.get(250), new Uint8Array());
  deepStrictEqual(
    encodeMessage(decoded).subarray(0, packet.length),
    packet,
  );
});

Deno.test("values over 255 bytes are split and rejoined (RFC 3396)", () => {
  const long = new Uint8Array(600).map((_, i) => i % 251);
  const m = createMessage({
    op: 2,
    options: new DhcpOptions([[53, new Uint8Array([5])], [43, long]]),
  });
  const wire = encodeMessage(m);
  // 240 + 3 + (2+255) + (2+255) + (2+90) + END
  strictEqual(wire.length, 240 + 3 + 257 + 257 + 92 + 1);
  strictEqual(wire[243], 43);
  strictEqual(wire[244], 255);
  strictEqual(wire[243 + 257], 43);
  strictEqual(wire[243 + 257 + 1], 255);
  strictEqual(wire[243 + 514], 43);
  strictEqual(wire[243 + 514 + 1], 90);
  deepStrictEqual(decodeMessage(wire).options.get(43), long);
  // Exactly 255 is one instance, 256 two.
  for (const [length, instances] of [[255, 1], [256, 2], [510, 2], [511, 3]]) {
    const o = new DhcpOptions([[43, new Uint8Array(length!)]]);
    strictEqual(o.encodedLength(), length! + 2 * instances!);
  }
});

Deno.test("repeated codes are concatenated in order", () => {
  const packet = withOptions([
    6,
    4,
    1,
    1,
    1,
    1,
    53,
    1,
    5,
    6,
    4,
    8,
    8,
    8,
    8,
    0,
    0, // PAD between options
    6,
    0,
    6,
    4,
    9,
    9,
    9,
    9,
    255,
  ]);
  const m = decodeMessage(packet);
  deepStrictEqual(m.options.codes(), [6, 53]);
  deepStrictEqual(
    m.options.get(6),
    new Uint8Array([1, 1, 1, 1, 8, 8, 8, 8, 9, 9, 9, 9]),
  );
});

Deno.test("missing END at the end of the buffer is tolerated", () => {
  const m = decodeMessage(withOptions([53, 1, 5, 54, 4, 10, 0, 0, 1]));
  deepStrictEqual(m.options.codes(), [53, 54]);
  // No options at all.
  strictEqual(decodeMessage(withOptions([])).options.size, 0);
  // Data after END is ignored.
  strictEqual(decodeMessage(withOptions([255, 53, 9])).options.size, 0);
});

Deno.test("an option running past the buffer is a DecodeError", () => {
  const e = decodeError(() =>
    decodeMessage(
      withOptions([
        53,
        1,
        5,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        121,
        14,
        1,
        2,
        3,
      ]),
    )
  );
  strictEqual(
    e.message,
    "Cannot decode DHCP message: option 121 at offset 258 declares 14 bytes but 3 remain",
  );
  strictEqual(e.field, "options");
  strictEqual(e.offset, 258);
  // At the boundary: a length of exactly what remains decodes, one more
  // does not.
  deepStrictEqual(
    decodeMessage(withOptions([12, 3, 0x61, 0x62, 0x63])).options.get(12),
    new Uint8Array([0x61, 0x62, 0x63]),
  );
  const oneMore = decodeError(() =>
    decodeMessage(withOptions([12, 4, 0x61, 0x62, 0x63]))
  );
  strictEqual(
    oneMore.message,
    "Cannot decode DHCP message: option 12 at offset 240 declares 4 bytes but 3 remain",
  );
  const noLength = decodeError(() => decodeMessage(withOptions([53])));
  strictEqual(noLength.offset, 240);
});

Deno.test("short messages and wrong cookies are DecodeErrors", () => {
  const e = decodeError(() => decodeMessage(DISCOVER.subarray(0, 100)));
  strictEqual(e.field, "header");
  const c = decodeError(() => decodeMessage(DISCOVER.subarray(0, 238)));
  strictEqual(c.field, "magic cookie");
  const bad = DISCOVER.slice();
  bad[239] = 0x64;
  const w = decodeError(() => decodeMessage(bad));
  strictEqual(w.field, "magic cookie");
  strictEqual(w.offset, 236);
  decodeError(() => decodeMessage("nope" as unknown as Uint8Array));
});

Deno.test("decoded messages view the input instead of copying it", () => {
  const input = ACK.slice();
  const m = decodeMessage(input);
  strictEqual(m.chaddr.buffer, input.buffer);
  strictEqual(m.sname.buffer, input.buffer);
  strictEqual(m.file.buffer, input.buffer);
  strictEqual(m.options.get(53)!.buffer, input.buffer);
  input.fill(0);
  strictEqual(m.sname[0], 0);
  deepStrictEqual(m.options.get(53), new Uint8Array([0]));
});

Deno.test("decoding a copy keeps the message when the buffer is reused", () => {
  const buffer = ACK.slice();
  const m = decodeMessage(buffer.slice());
  buffer.fill(0);
  sameMessage(m, decodeMessage(ACK));
});

Deno.test("values set on decoded options are copied, the rest still read", () => {
  const input = ACK.slice();
  const m = decodeMessage(input);
  const before = m.options.entries();
  const value = new Uint8Array([1, 2, 3, 4]);
  m.options.set(224, value);
  value.fill(9);
  deepStrictEqual(m.options.get(224), new Uint8Array([1, 2, 3, 4]));
  deepStrictEqual(m.options.entries().slice(0, -1), before);
  ok(m.options.delete(224));
  deepStrictEqual(m.options.entries(), before);
});

Deno.test("decode works on a subarray with a byte offset", () => {
  const framed = new Uint8Array(ACK.length + 7);
  framed.set(ACK, 7);
  sameMessage(decodeMessage(framed.subarray(7)), decodeMessage(ACK));
});

Deno.test("overload 3 reads options, then file, then sname", () => {
  const file = bytes(
    [6, 4, 2, 2, 2, 2], // second part of option 6
    [12, 3, 0x66, 0x69, 0x6c], // host name "fil"
    [255],
    zeros(128 - 12),
  );
  const sname = bytes(
    [6, 4, 3, 3, 3, 3], // third part of option 6
    [12, 2, 0x65, 0x73], // "es"
    [0, 0], // PAD
    [255],
    zeros(64 - 13),
  );
  const packet = withOptions(
    [53, 1, 5, 52, 1, 3, 6, 4, 1, 1, 1, 1, 255],
    sname,
    file,
  );
  const m = decodeMessage(packet);
  deepStrictEqual(m.options.codes(), [53, 52, 6, 12]);
  deepStrictEqual(
    m.options.get(6),
    new Uint8Array([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]),
  );
  strictEqual(hostName(m.options), "files");
  deepStrictEqual(m.file, file, "file is returned raw");
  deepStrictEqual(m.sname, sname, "sname is returned raw");
  // Re-encoding drops option 52 and clears the fields it named, so the
  // options survive and sname and file are not read as names.
  const again = decodeMessage(encodeMessage(m));
  deepStrictEqual(again.options.codes(), [53, 6, 12]);
  deepStrictEqual(again.options.get(6), m.options.get(6));
  deepStrictEqual(again.file, new Uint8Array(128));
  deepStrictEqual(again.sname, new Uint8Array(64));
});

Deno.test("overload 1 reads only file, overload 2 only sname", () => {
  const file = bytes([12, 1, 0x66, 255], zeros(124));
  const sname = bytes([15, 1, 0x73, 255], zeros(60));
  const one = decodeMessage(withOptions([52, 1, 1, 255], sname, file));
  deepStrictEqual(one.options.codes(), [52, 12]);
  const two = decodeMessage(withOptions([52, 1, 2, 255], sname, file));
  deepStrictEqual(two.options.codes(), [52, 15]);
  // Without overload, file and sname are just names.
  const none = decodeMessage(withOptions([255], sname, file));
  deepStrictEqual(none.options.codes(), []);
});

Deno.test("overload pointing to garbage is a DecodeError", () => {
  const garbage = new Uint8Array(128).fill(0xab);
  const e = decodeError(() =>
    decodeMessage(withOptions([52, 1, 1, 255], zeros(64), garbage))
  );
  strictEqual(e.field, "file");
  strictEqual(e.offset, 108);
  const s = decodeError(() =>
    decodeMessage(
      withOptions([52, 1, 2, 255], bytes(zeros(60), [3, 9, 1, 2]), zeros(128)),
    )
  );
  strictEqual(s.field, "sname");
  strictEqual(s.offset, 44 + 60);
  // An invalid overload value.
  for (const value of [[0], [4], [1, 1], []]) {
    const v = decodeError(() =>
      decodeMessage(withOptions([52, value.length, ...value, 255]))
    );
    strictEqual(v.field, "option overload (52)");
  }
  // Option 52 inside an overloaded field.
  decodeError(() =>
    decodeMessage(
      withOptions(
        [52, 1, 1, 255],
        zeros(64),
        bytes([52, 1, 2, 255], zeros(124)),
      ),
    )
  );
});

Deno.test("decoded options answer as options built from their entries", () => {
  const decoded = decodeMessage(ACK).options;
  const built = new DhcpOptions(decodeMessage(ACK).options.entries());
  deepStrictEqual(decoded.codes(), built.codes());
  strictEqual(decoded.size, built.size);
  for (let code = 0; code < 256; code++) {
    strictEqual(decoded.has(code), built.has(code), `has(${code})`);
    deepStrictEqual(decoded.get(code), built.get(code), `get(${code})`);
  }
  strictEqual(decoded.encodedLength([53]), built.encodedLength([53]));
  const a = new Uint8Array(600);
  const b = new Uint8Array(600);
  strictEqual(decoded.encodeInto(a, 3, [53]), built.encodeInto(b, 3, [53]));
  deepStrictEqual(a, b);
  deepStrictEqual([...decoded], [...built]);
});

Deno.test("repeated codes are found afresh in every decode", () => {
  const twice = withOptions([12, 1, 0x61, 53, 1, 5, 12, 1, 0x62, 255]);
  const m = decodeMessage(twice);
  deepStrictEqual(m.options.codes(), [12, 53]);
  deepStrictEqual(m.options.get(12), encodeText("ab"));
  // A decode that fails half-way must not leave codes marked as seen.
  decodeError(() => decodeMessage(withOptions([12, 1, 0x61, 12, 9])));
  const once = withOptions([12, 1, 0x61, 255]);
  const again = decodeMessage(once);
  deepStrictEqual(again.options.get(12), encodeText("a"));
  strictEqual(again.options.get(12)!.buffer, once.buffer, "not joined");
});
