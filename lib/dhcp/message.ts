/**
 * DHCPv4 messages (RFC 2131 §2) to and from bytes.
 *
 * Decoding is strict: every length is checked before it is read, and any
 * input that is not a well-formed message throws a {@linkcode DecodeError}
 * and nothing else. Two tolerances are deliberate: a missing END option at
 * the end of the options area (many servers end their packets badly), and
 * PAD bytes anywhere between options.
 *
 * @module
 */

import { ipv4FromBytes, parseIpv4, uint32FromBytes } from "../net/ipv4.ts";
import { MAGIC_COOKIE, OptionCode } from "./constants.ts";
import { DecodeError } from "./errors.ts";
import { DhcpOptions, optionsFromPacket } from "./options.ts";

export { DecodeError } from "./errors.ts";

/** A DHCP message, header fields decoded and options kept raw. */
export interface DhcpMessage {
  /** 1 (BOOTREQUEST) or 2 (BOOTREPLY). */
  op: number;
  /** Hardware address type, 1 for Ethernet. */
  htype: number;
  /** Hardware address length, 6 for Ethernet. */
  hlen: number;
  /** Relay hops. */
  hops: number;
  /** Transaction id, an unsigned 32-bit number. */
  xid: number;
  /** Seconds since the client began acquiring or renewing. */
  secs: number;
  /** Flags; {@linkcode BROADCAST_FLAG} is the only one defined. */
  flags: number;
  /** The client's address, when it has one. */
  ciaddr: string;
  /** The address offered or assigned ("your" address). */
  yiaddr: string;
  /** The next server to use in bootstrap. */
  siaddr: string;
  /** The relay agent's address. */
  giaddr: string;
  /** The client hardware address field, 16 bytes as on the wire. */
  chaddr: Uint8Array;
  /** The server host name field, 64 raw bytes. */
  sname: Uint8Array;
  /** The boot file name field, 128 raw bytes. */
  file: Uint8Array;
  /** The options, from the options field and any overloaded fields. */
  options: DhcpOptions;
}

/** Where the fixed header's fields start (RFC 2131 figure 1). */
const SNAME_OFFSET = 44;
const FILE_OFFSET = 108;
const COOKIE_OFFSET = 236;
const OPTIONS_OFFSET = 240;
const CHADDR_LENGTH = 16;
const SNAME_LENGTH = 64;
const FILE_LENGTH = 128;
/** The BOOTP minimum (RFC 951: 300 bytes), which some relays insist on. */
const MINIMUM_LENGTH = 300;

function fixedField(
  name: string,
  value: Uint8Array | undefined,
  length: number,
): Uint8Array {
  const out = new Uint8Array(length);
  if (value === undefined) return out;
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`DHCP ${name} must be a Uint8Array`);
  }
  if (value.length > length) {
    throw new RangeError(
      `DHCP ${name} must be at most ${length} bytes, got ${value.length}`,
    );
  }
  out.set(value);
  return out;
}

/**
 * Makes a message, zero or empty in every field not given.
 *
 * @param init Fields to set. chaddr, sname and file may be shorter than
 * their fields and are zero-padded; they are copied. The options object is
 * used as given.
 * @returns The message: op 0, htype 1, hlen 6, addresses "0.0.0.0", empty
 * options unless given.
 * @throws {RangeError} If chaddr, sname or file is longer than its field.
 *
 * @example A DHCPDISCOVER
 * ```ts
 * import { createMessage } from "./message.ts";
 * import { DhcpOptions } from "./options.ts";
 * const message = createMessage({
 *   op: 1,
 *   xid: 0x3903f326,
 *   chaddr: new Uint8Array([0x00, 0x16, 0x3e, 0x12, 0x34, 0x56]),
 *   options: new DhcpOptions([[53, new Uint8Array([1])]]),
 * });
 * ```
 */
export function createMessage(init: Partial<DhcpMessage> = {}): DhcpMessage {
  return {
    op: init.op ?? 0,
    htype: init.htype ?? 1,
    hlen: init.hlen ?? 6,
    hops: init.hops ?? 0,
    xid: init.xid ?? 0,
    secs: init.secs ?? 0,
    flags: init.flags ?? 0,
    ciaddr: init.ciaddr ?? "0.0.0.0",
    yiaddr: init.yiaddr ?? "0.0.0.0",
    siaddr: init.siaddr ?? "0.0.0.0",
    giaddr: init.giaddr ?? "0.0.0.0",
    chaddr: fixedField("chaddr", init.chaddr, CHADDR_LENGTH),
    sname: fixedField("sname", init.sname, SNAME_LENGTH),
    file: fixedField("file", init.file, FILE_LENGTH),
    options: init.options ?? new DhcpOptions(),
  };
}

function checkUint(name: string, value: unknown, max: number): number {
  if (typeof value !== "number") {
    throw new TypeError(`DHCP ${name} must be a number, got ${typeof value}`);
  }
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(
      `DHCP ${name} must be an integer from 0 to ${max}, got ${value}`,
    );
  }
  return value;
}

function checkAddress(name: string, value: unknown): number {
  if (typeof value !== "string") {
    throw new TypeError(`DHCP ${name} must be a string, got ${typeof value}`);
  }
  try {
    return parseIpv4(value);
  } catch (error) {
    throw new TypeError(
      `DHCP ${name}: ${(error as Error).message}`,
    );
  }
}

/** Checks a byte field; undefined stands for all zeros. */
function checkField(
  name: string,
  value: Uint8Array | undefined,
  length: number,
): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`DHCP ${name} must be a Uint8Array`);
  }
  if (value.length > length) {
    throw new RangeError(
      `DHCP ${name} must be at most ${length} bytes, got ${value.length}`,
    );
  }
  return value;
}

function writeUint32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = value >>> 16;
  out[at + 2] = value >>> 8;
  out[at + 3] = value;
}

/** Option 52 never goes on the wire: encodeMessage does not overload. */
const SKIP_OVERLOAD: readonly number[] = [OptionCode.OPTION_OVERLOAD];

/**
 * Encodes a message: fixed header, magic cookie, options, END, and zeros up
 * to 300 bytes at least (the BOOTP minimum that some relays require).
 *
 * Option overload is never used: every option goes in the options field,
 * values over 255 bytes split into consecutive instances (RFC 3396). Option
 * 52 (overload) in the message's options is left out, and the sname and file
 * fields it names are written as zeros, since their content was options
 * which are now in the options field; decoding an overloaded message and
 * encoding it so gives a message with the same options.
 *
 * @param message The message.
 * @returns The datagram payload, a new array.
 * @throws {TypeError} If a field has the wrong type or an address is not a
 * dotted quad.
 * @throws {RangeError} If a number is out of range for its field or a byte
 * field is too long.
 */
export function encodeMessage(message: DhcpMessage): Uint8Array {
  const op = checkUint("op", message.op, 0xff);
  const htype = checkUint("htype", message.htype, 0xff);
  const hlen = checkUint("hlen", message.hlen, 0xff);
  const hops = checkUint("hops", message.hops, 0xff);
  const xid = checkUint("xid", message.xid, 0xffffffff);
  const secs = checkUint("secs", message.secs, 0xffff);
  const flags = checkUint("flags", message.flags, 0xffff);
  const ciaddr = checkAddress("ciaddr", message.ciaddr);
  const yiaddr = checkAddress("yiaddr", message.yiaddr);
  const siaddr = checkAddress("siaddr", message.siaddr);
  const giaddr = checkAddress("giaddr", message.giaddr);
  const chaddr = checkField("chaddr", message.chaddr, CHADDR_LENGTH);
  let sname = checkField("sname", message.sname, SNAME_LENGTH);
  let file = checkField("file", message.file, FILE_LENGTH);
  const options = message.options;
  if (!(options instanceof DhcpOptions)) {
    throw new TypeError("DHCP options must be a DhcpOptions");
  }
  const overload = options.get(OptionCode.OPTION_OVERLOAD);
  if (overload !== undefined && overload.length === 1) {
    // The new array is all zeros, so leaving a field out writes zeros.
    if (overload[0] === 1 || overload[0] === 3) file = undefined;
    if (overload[0] === 2 || overload[0] === 3) sname = undefined;
  }
  // One exactly sized array, written in place: no intermediate buffers.
  const length = OPTIONS_OFFSET + options.encodedLength(SKIP_OVERLOAD) + 1;
  const out = new Uint8Array(Math.max(MINIMUM_LENGTH, length));
  out[0] = op;
  out[1] = htype;
  out[2] = hlen;
  out[3] = hops;
  writeUint32(out, 4, xid);
  out[8] = secs >>> 8;
  out[9] = secs;
  out[10] = flags >>> 8;
  out[11] = flags;
  writeUint32(out, 12, ciaddr);
  writeUint32(out, 16, yiaddr);
  writeUint32(out, 20, siaddr);
  writeUint32(out, 24, giaddr);
  if (chaddr !== undefined) out.set(chaddr, 28);
  if (sname !== undefined) out.set(sname, SNAME_OFFSET);
  if (file !== undefined) out.set(file, FILE_OFFSET);
  writeUint32(out, COOKIE_OFFSET, MAGIC_COOKIE);
  const end = options.encodeInto(out, OPTIONS_OFFSET, SKIP_OVERLOAD);
  out[end] = OptionCode.END;
  return out;
}

/**
 * Marks for finding repeated option codes without allocating per message:
 * code c has been seen in the current decode when seen[c] === pass. A new
 * pass number per decode clears every mark at once, even after a decode
 * that threw half-way; decoding is synchronous, so one table serves all.
 */
const seen = new Uint32Array(256);
let pass = 0;

/**
 * Reads code, length, value instances from bytes[start, end) until END or
 * the end of the area, adding a code, start, end triple for each value to
 * the spans.
 *
 * @returns Whether a code occurred that had occurred before in this pass.
 */
function readOptions(
  bytes: Uint8Array,
  start: number,
  end: number,
  area: string,
  spans: number[],
): boolean {
  let repeated = false;
  let at = start;
  while (at < end) {
    const code = bytes[at]!;
    if (code === OptionCode.END) break;
    if (code === OptionCode.PAD) {
      at++;
      continue;
    }
    if (at + 1 >= end) {
      throw new DecodeError(
        `option ${code} at offset ${at} has no length byte before the end of the ${area} field`,
        area,
        at,
      );
    }
    const length = bytes[at + 1]!;
    const remaining = end - (at + 2);
    if (length > remaining) {
      throw new DecodeError(
        `option ${code} at offset ${at} declares ${length} bytes but ${remaining} remain`,
        area,
        at,
      );
    }
    if (code === OptionCode.OPTION_OVERLOAD && area !== "options") {
      throw new DecodeError(
        `option overload (52) at offset ${at} is in the ${area} field; it may only be in the options field`,
        area,
        at,
      );
    }
    if (seen[code] === pass) repeated = true;
    else seen[code] = pass;
    spans.push(code, at + 2, at + 2 + length);
    at += 2 + length;
  }
  return repeated;
}

/** The bytes of all instances of a code, joined (for option 52 only). */
function joinedBytes(
  bytes: Uint8Array,
  spans: readonly number[],
  code: number,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < spans.length; i += 3) {
    if (spans[i] !== code) continue;
    for (let at = spans[i + 1]!; at < spans[i + 2]!; at++) out.push(bytes[at]!);
  }
  return out;
}

/**
 * Joins the instances of each code (RFC 3396) into one new array, in order
 * of first occurrence, and returns it with one span per code.
 */
function joinRepeated(
  bytes: Uint8Array,
  spans: readonly number[],
): { packet: Uint8Array; spans: number[] } {
  const order: number[] = [];
  const parts = new Map<number, number[]>();
  let total = 0;
  for (let i = 0; i < spans.length; i += 3) {
    const code = spans[i]!;
    let list = parts.get(code);
    if (list === undefined) {
      list = [];
      parts.set(code, list);
      order.push(code);
    }
    list.push(i);
    total += spans[i + 2]! - spans[i + 1]!;
  }
  const packet = new Uint8Array(total);
  const joined: number[] = [];
  let at = 0;
  for (const code of order) {
    const start = at;
    for (const i of parts.get(code)!) {
      packet.set(bytes.subarray(spans[i + 1], spans[i + 2]), at);
      at += spans[i + 2]! - spans[i + 1]!;
    }
    joined.push(code, start, at);
  }
  return { packet, spans: joined };
}

/**
 * Decodes without copying: under Deno a new array costs about as much as
 * the whole decode, so byte fields and option values view the input.
 */
function decodeStrict(bytes: Uint8Array): DhcpMessage {
  if (bytes.length < OPTIONS_OFFSET) {
    throw new DecodeError(
      `message is ${bytes.length} bytes, but the fixed header and magic cookie need ${OPTIONS_OFFSET}`,
      bytes.length < COOKIE_OFFSET ? "header" : "magic cookie",
      bytes.length,
    );
  }
  const cookie = uint32FromBytes(bytes, COOKIE_OFFSET);
  if (cookie !== MAGIC_COOKIE) {
    throw new DecodeError(
      `magic cookie at offset ${COOKIE_OFFSET} is 0x${
        cookie.toString(16).padStart(8, "0")
      }, expected 0x63825363`,
      "magic cookie",
      COOKIE_OFFSET,
    );
  }
  pass = (pass + 1) >>> 0;
  if (pass === 0) {
    seen.fill(0);
    pass = 1;
  }
  const spans: number[] = [];
  let repeated = readOptions(
    bytes,
    OPTIONS_OFFSET,
    bytes.length,
    "options",
    spans,
  );
  if (seen[OptionCode.OPTION_OVERLOAD] === pass) {
    const overload = joinedBytes(bytes, spans, OptionCode.OPTION_OVERLOAD);
    if (overload.length !== 1 || overload[0]! < 1 || overload[0]! > 3) {
      throw new DecodeError(
        `option overload (52) must be one byte of 1, 2 or 3, got [${
          overload.slice(0, 8).join(", ")
        }${overload.length > 8 ? ", ..." : ""}]`,
        "option overload (52)",
        OPTIONS_OFFSET,
      );
    }
    // RFC 3396 §7: the options field, then file, then sname.
    if (overload[0] === 1 || overload[0] === 3) {
      if (
        readOptions(
          bytes,
          FILE_OFFSET,
          FILE_OFFSET + FILE_LENGTH,
          "file",
          spans,
        )
      ) repeated = true;
    }
    if (overload[0] === 2 || overload[0] === 3) {
      if (
        readOptions(
          bytes,
          SNAME_OFFSET,
          SNAME_OFFSET + SNAME_LENGTH,
          "sname",
          spans,
        )
      ) repeated = true;
    }
  }
  let options: DhcpOptions;
  if (repeated) {
    const joined = joinRepeated(bytes, spans);
    options = optionsFromPacket(joined.packet, joined.spans);
  } else {
    options = optionsFromPacket(bytes, spans);
  }
  return {
    op: bytes[0]!,
    htype: bytes[1]!,
    hlen: bytes[2]!,
    hops: bytes[3]!,
    xid: uint32FromBytes(bytes, 4),
    secs: (bytes[8]! << 8) | bytes[9]!,
    flags: (bytes[10]! << 8) | bytes[11]!,
    ciaddr: ipv4FromBytes(bytes, 12),
    yiaddr: ipv4FromBytes(bytes, 16),
    siaddr: ipv4FromBytes(bytes, 20),
    giaddr: ipv4FromBytes(bytes, 24),
    chaddr: bytes.subarray(28, 28 + CHADDR_LENGTH),
    sname: bytes.subarray(SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH),
    file: bytes.subarray(FILE_OFFSET, FILE_OFFSET + FILE_LENGTH),
    options,
  };
}

/**
 * Decodes a DHCP message.
 *
 * The fixed header and magic cookie need 240 bytes. Options are read up to
 * END or the end of the buffer (a missing END is tolerated); an option whose
 * length runs past the end is an error. With option overload (52) of 1, 2 or
 * 3, further options are read from file and/or sname, in the order options
 * field, file, sname, and the instances of a code in all of them are joined
 * (RFC 3396). Option 52 stays in the options; the sname and file fields are
 * returned raw either way.
 *
 * The message refers to the input rather than copying it: chaddr, sname,
 * file and the option values are views of `bytes` (except that when a code
 * occurs more than once, the option values are views of one new array
 * holding the joined values). The caller must therefore not change `bytes`
 * while the message is in use, nor change the views; to reuse a receive
 * buffer, decode a copy (`decodeMessage(buffer.slice(0, length))`). Values
 * given later with `set` or `append` are copied as usual.
 *
 * @param bytes The UDP payload; the message keeps referring to it.
 * @returns The message, whose byte fields and option values view the input.
 * @throws {DecodeError} For any input that is not a well-formed message, and
 * nothing else.
 */
export function decodeMessage(bytes: Uint8Array): DhcpMessage {
  if (!(bytes instanceof Uint8Array)) {
    throw new DecodeError("input is not a Uint8Array", "input", 0);
  }
  try {
    return decodeStrict(bytes);
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    // Not expected to happen: every read above is bounds-checked first.
    throw new DecodeError(
      `unexpected ${(error as Error)?.name ?? "error"}: ${
        (error as Error)?.message ?? String(error)
      }`,
      "input",
      0,
    );
  }
}

/**
 * Formats a hardware address as lowercase hex pairs joined by colons.
 *
 * @param bytes The address, such as `chaddr.subarray(0, hlen)`.
 * @returns Such as "00:16:3e:12:34:56".
 */
export function formatMac(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/**
 * Parses a hardware address of hex pairs separated by colons or dashes.
 *
 * @param text Such as "00:16:3e:12:34:56" or "00-16-3E-12-34-56".
 * @returns The bytes.
 * @throws {TypeError} If the text is not 1 to 16 hex pairs.
 */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (
    parts.length < 1 || parts.length > 16 ||
    !parts.every((part) => /^[0-9a-fA-F]{2}$/.test(part))
  ) {
    throw new TypeError(`Invalid hardware address "${text}"`);
  }
  return new Uint8Array(parts.map((part) => parseInt(part, 16)));
}

/**
 * The client hardware address of a message, hlen bytes of chaddr.
 *
 * @param message The message.
 * @returns The first min(hlen, 16) bytes of chaddr.
 */
export function clientHardwareAddress(message: DhcpMessage): Uint8Array {
  return message.chaddr.slice(0, Math.min(message.hlen, CHADDR_LENGTH));
}
