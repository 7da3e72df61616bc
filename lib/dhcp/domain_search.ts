/**
 * The domain search option, 119 (RFC 3397): a list of domain names in the
 * DNS wire format of RFC 1035 §3.1, with the compression pointers of
 * RFC 1035 §4.1.4. Pointers are offsets into the whole option value, which
 * {@linkcode DhcpOptions} has already joined when it spanned instances.
 *
 * @module
 */

import { DecodeError } from "./errors.ts";

const FIELD = "domain search (119)";
/** RFC 1035 §2.3.4. */
const MAX_LABEL = 63;
/** RFC 1035 §2.3.4: the wire form of a name, length bytes and root included. */
const MAX_NAME = 255;
/** The largest offset a 14-bit pointer can hold. */
const MAX_POINTER = 0x3fff;
/**
 * Pointers one name may follow. A name has at most 127 labels, and a
 * compressed one needs at most a pointer per label; more could only chain
 * pointers to pointers, which would make decoding quadratic in the value.
 */
const MAX_JUMPS = 127;
/**
 * Characters a whole list may decode to. Compression lets a few bytes
 * stand for a long name, so without a bound a 64 KiB value could expand
 * more than a hundredfold; no search list comes anywhere near this.
 */
const MAX_TOTAL = 65536;

function fail(detail: string, offset: number): never {
  throw new DecodeError(detail, FIELD, offset, "domain search list");
}

/** Printable ASCII but "." (and space): what a search list line can carry. */
function labelText(value: Uint8Array, start: number, length: number): string {
  let text = "";
  for (let i = start; i < start + length; i++) {
    const byte = value[i]!;
    if (byte <= 0x20 || byte >= 0x7f || byte === 0x2e) {
      fail(
        `label at offset ${start - 1} has byte 0x${
          byte.toString(16).padStart(2, "0")
        } at offset ${i}; only printable ASCII other than "." is accepted`,
        i,
      );
    }
    text += String.fromCharCode(byte);
  }
  return text;
}

/**
 * Decodes a domain search list.
 *
 * A pointer must point strictly before the start of the run of labels it
 * ends (the name's start, or the previous pointer's target), so every jump
 * goes backwards and no loop is possible. Labels are accepted when they are
 * printable ASCII without "." or space, as a search list written to
 * resolv.conf needs; anything else is an error rather than a silently
 * mangled name.
 *
 * @param value The option value.
 * @returns The names, without trailing dot, case kept; the root name is "".
 * @throws {DecodeError} On a pointer that does not point backwards or points
 * past the value, a label longer than 63 or of a reserved type, a name longer
 * than 255 bytes or following more than 127 pointers, a list decoding to
 * more than 65536 characters, a label byte outside printable ASCII, or
 * truncation.
 */
export function decodeDomainSearch(value: Uint8Array): string[] {
  const names: string[] = [];
  let total = 0;
  let next = 0;
  while (next < value.length) {
    const labels: string[] = [];
    let at = next;
    let segmentStart = next;
    let jumped = false;
    let jumps = 0;
    let wireLength = 1; // the root label's length byte
    for (;;) {
      if (at >= value.length) {
        fail(`name at offset ${next} runs past the end at offset ${at}`, at);
      }
      const length = value[at]!;
      if (length === 0) {
        if (!jumped) next = at + 1;
        break;
      }
      const kind = length & 0xc0;
      if (kind === 0xc0) {
        if (at + 1 >= value.length) {
          fail(
            `pointer at offset ${at} is cut off by the end of the value`,
            at,
          );
        }
        const target = ((length & 0x3f) << 8) | value[at + 1]!;
        if (target >= value.length) {
          fail(
            `pointer at offset ${at} points to offset ${target}, past the end (${value.length} bytes)`,
            at,
          );
        }
        if (target >= segmentStart) {
          fail(
            `pointer at offset ${at} points to offset ${target}, not before ${segmentStart}; pointers must point strictly backwards`,
            at,
          );
        }
        if (++jumps > MAX_JUMPS) {
          fail(
            `name at offset ${next} follows more than ${MAX_JUMPS} pointers`,
            at,
          );
        }
        if (!jumped) next = at + 2;
        jumped = true;
        at = target;
        segmentStart = target;
        continue;
      }
      if (kind !== 0) {
        fail(
          `label at offset ${at} has length byte 0x${
            length.toString(16)
          }: a label is at most ${MAX_LABEL} bytes and label types 01 and 10 are not allowed`,
          at,
        );
      }
      if (at + 1 + length > value.length) {
        fail(
          `label at offset ${at} declares ${length} bytes but ${
            value.length - at - 1
          } remain`,
          at,
        );
      }
      wireLength += 1 + length;
      if (wireLength > MAX_NAME) {
        fail(
          `name at offset ${next} is longer than ${MAX_NAME} bytes`,
          at,
        );
      }
      labels.push(labelText(value, at + 1, length));
      at += 1 + length;
    }
    const name = labels.join(".");
    total += name.length + 1;
    if (total > MAX_TOTAL) {
      fail(
        `the list decodes to more than ${MAX_TOTAL} characters`,
        next,
      );
    }
    names.push(name);
  }
  return names;
}

function nameLabels(name: string): string[] {
  if (typeof name !== "string") {
    throw new TypeError(`Domain name must be a string, got ${typeof name}`);
  }
  const trimmed = name.endsWith(".") ? name.slice(0, -1) : name;
  if (trimmed === "") return [];
  const labels = trimmed.split(".");
  let wire = 1;
  for (const label of labels) {
    if (label.length === 0 || label.length > MAX_LABEL) {
      throw new RangeError(
        `Domain name "${name}" has a label of ${label.length} bytes; labels are 1 to ${MAX_LABEL}`,
      );
    }
    if (!/^[\x21-\x2d\x2f-\x7e]+$/.test(label)) {
      throw new RangeError(
        `Domain name "${name}" has a label with bytes other than printable ASCII`,
      );
    }
    wire += 1 + label.length;
  }
  if (wire > MAX_NAME) {
    throw new RangeError(
      `Domain name "${name}" takes ${wire} bytes; the limit is ${MAX_NAME}`,
    );
  }
  return labels;
}

/**
 * Encodes a domain search list, compressing suffixes shared with earlier
 * names (compared exactly, case included) by pointers.
 *
 * @param names The names, with or without trailing dot; "" or "." is the
 * root.
 * @returns The option value (join it into one option: it may exceed 255
 * bytes, which {@linkcode DhcpOptions} splits on the wire).
 * @throws {RangeError} On an empty or overlong label, a name over 255 bytes,
 * or a label with bytes other than printable ASCII (space and "." excluded).
 * @throws {TypeError} If a name is not a string.
 */
export function encodeDomainSearch(names: readonly string[]): Uint8Array {
  const bytes: number[] = [];
  const suffixes = new Map<string, number>();
  for (const name of names) {
    const labels = nameLabels(name);
    let i = 0;
    for (; i < labels.length; i++) {
      const suffix = labels.slice(i).join(".");
      const known = suffixes.get(suffix);
      if (known !== undefined) {
        bytes.push(0xc0 | (known >> 8), known & 0xff);
        break;
      }
      if (bytes.length <= MAX_POINTER) suffixes.set(suffix, bytes.length);
      const label = labels[i]!;
      bytes.push(label.length);
      for (let j = 0; j < label.length; j++) bytes.push(label.charCodeAt(j));
    }
    if (i === labels.length) bytes.push(0);
  }
  return new Uint8Array(bytes);
}
