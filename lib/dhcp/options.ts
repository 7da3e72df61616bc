/**
 * The options of a DHCP message, kept as raw bytes.
 *
 * @module
 */

function checkCode(code: number): void {
  if (!Number.isInteger(code) || code < 1 || code > 254) {
    throw new RangeError(
      `DHCP option code must be an integer from 1 to 254 (0 is PAD and 255 is END), got ${code}`,
    );
  }
}

function checkValue(code: number, value: Uint8Array): void {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`Value of DHCP option ${code} must be a Uint8Array`);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** The wire size of a value: one code and length pair per 255 bytes. */
function wireLength(length: number): number {
  return length <= 255 ? length + 2 : 2 * Math.ceil(length / 255) + length;
}

/**
 * Below this many bytes a plain loop copies faster than `set()`, which
 * would need a subarray view, itself an allocation.
 */
const LOOP_COPY_LIMIT = 64;

/**
 * Writes source[start, end) as option instances of at most 255 bytes and
 * returns the offset after them.
 */
function writeOption(
  out: Uint8Array,
  at: number,
  code: number,
  source: Uint8Array,
  start: number,
  end: number,
): number {
  do {
    const stop = Math.min(end, start + 255);
    out[at++] = code;
    out[at++] = stop - start;
    if (stop - start < LOOP_COPY_LIMIT) {
      for (let i = start; i < stop; i++) out[at++] = source[i]!;
    } else {
      out.set(source.subarray(start, stop), at);
      at += stop - start;
    }
    start = stop;
  } while (start < end);
  return at;
}

const EMPTY = new Uint8Array(0);
const NO_SPANS: readonly number[] = [];
const NO_SKIP: readonly number[] = [];

let attach: (
  options: DhcpOptions,
  packet: Uint8Array,
  spans: readonly number[],
) => void;

/**
 * Makes options that read their values from a packet, for the decoder: no
 * value is copied or even sliced until asked for.
 *
 * @param packet The bytes the values are in; they must not change while
 * the options are used.
 * @param spans Code, start and end of each value in the packet, one triple
 * per option: codes distinct and 1 to 254, each range inside the packet.
 * @returns The options, in span order.
 */
export function optionsFromPacket(
  packet: Uint8Array,
  spans: readonly number[],
): DhcpOptions {
  const options = new DhcpOptions();
  attach(options, packet, spans);
  return options;
}

/**
 * The options of a DHCP message as raw values, in the order each code was
 * first added.
 *
 * A code that occurs several times is one option whose value is the
 * concatenation of the instances (RFC 3396), so {@linkcode get} returns the
 * joined value. When encoded, a value longer than 255 bytes is split again
 * into consecutive instances of at most 255 bytes; an empty value is encoded
 * as one instance of length 0.
 *
 * Values are copied in; {@linkcode get} and {@linkcode entries} return the
 * stored arrays, which callers must not change. Options of a decoded message
 * are views of the decoded bytes (see `decodeMessage`), and repeated calls
 * may return distinct views of the same bytes.
 *
 * @example Build the options of a DHCPDISCOVER
 * ```ts
 * import { DhcpOptions } from "./options.ts";
 * const options = new DhcpOptions([[53, new Uint8Array([1])]]);
 * options.set(55, new Uint8Array([1, 3, 6, 15]));
 * ```
 */
export class DhcpOptions {
  /*
   * Two representations. Decoded options start as spans over the packet
   * (code, start, end triples), which costs nothing per option; the first
   * change turns them into a map of views, which every later call uses.
   * #values is undefined exactly while the spans are in use.
   */
  #values: Map<number, Uint8Array> | undefined = undefined;
  #packet: Uint8Array = EMPTY;
  #spans: readonly number[] = NO_SPANS;

  static {
    attach = (options, packet, spans) => {
      options.#packet = packet;
      options.#spans = spans;
    };
  }

  /**
   * Creates a DhcpOptions.
   *
   * @param entries Code and value pairs; repeated codes are concatenated.
   * @throws {RangeError} For code 0 (PAD), 255 (END) or one not 1 to 254.
   */
  constructor(entries?: Iterable<readonly [number, Uint8Array]>) {
    if (entries !== undefined) {
      for (const [code, value] of entries) this.append(code, value);
    }
  }

  /** The index of a code's triple in the spans, or -1. */
  #find(code: number): number {
    const spans = this.#spans;
    for (let i = 0; i < spans.length; i += 3) {
      if (spans[i] === code) return i;
    }
    return -1;
  }

  /** The map, made from the spans on first use. */
  #map(): Map<number, Uint8Array> {
    let values = this.#values;
    if (values === undefined) {
      values = new Map();
      const spans = this.#spans;
      for (let i = 0; i < spans.length; i += 3) {
        values.set(
          spans[i]!,
          this.#packet.subarray(spans[i + 1], spans[i + 2]),
        );
      }
      this.#values = values;
      this.#packet = EMPTY;
      this.#spans = NO_SPANS;
    }
    return values;
  }

  /**
   * Returns an option's value.
   *
   * @param code The option code.
   * @returns The value, all instances joined, or undefined when absent.
   */
  get(code: number): Uint8Array | undefined {
    if (this.#values !== undefined) return this.#values.get(code);
    const i = this.#find(code);
    if (i === -1) return undefined;
    return this.#packet.subarray(this.#spans[i + 1], this.#spans[i + 2]);
  }

  /**
   * Tells whether an option is present.
   *
   * @param code The option code.
   * @returns Whether the option is present (possibly with an empty value).
   */
  has(code: number): boolean {
    if (this.#values !== undefined) return this.#values.has(code);
    return this.#find(code) !== -1;
  }

  /**
   * Sets an option, replacing any value it had; it keeps its place.
   *
   * @param code The option code, 1 to 254.
   * @param value The raw value.
   * @returns This object.
   */
  set(code: number, value: Uint8Array): this {
    checkCode(code);
    checkValue(code, value);
    this.#map().set(code, value.slice());
    return this;
  }

  /**
   * Appends bytes to an option's value (RFC 3396), adding it if absent.
   *
   * @param code The option code, 1 to 254.
   * @param value The bytes to append.
   * @returns This object.
   */
  append(code: number, value: Uint8Array): this {
    checkCode(code);
    checkValue(code, value);
    const values = this.#map();
    const old = values.get(code);
    values.set(code, old === undefined ? value.slice() : concat(old, value));
    return this;
  }

  /**
   * Removes an option.
   *
   * @param code The option code.
   * @returns Whether the option was present.
   */
  delete(code: number): boolean {
    return this.#map().delete(code);
  }

  /**
   * Lists the option codes.
   *
   * @returns The codes present, in first-insertion order.
   */
  codes(): number[] {
    if (this.#values !== undefined) return [...this.#values.keys()];
    const spans = this.#spans;
    const out: number[] = [];
    for (let i = 0; i < spans.length; i += 3) out.push(spans[i]!);
    return out;
  }

  /**
   * Lists the options.
   *
   * @returns The code and value pairs, in first-insertion order.
   */
  entries(): Array<[number, Uint8Array]> {
    return [...this.#map().entries()];
  }

  /** The number of options present. */
  get size(): number {
    if (this.#values !== undefined) return this.#values.size;
    return this.#spans.length / 3;
  }

  /**
   * Iterates over the options.
   *
   * @returns An iterator over the code and value pairs.
   */
  [Symbol.iterator](): IterableIterator<[number, Uint8Array]> {
    return this.#map().entries();
  }

  /**
   * The number of bytes these options take on the wire, END excluded.
   *
   * @param skip Codes to leave out.
   * @returns The encoded length.
   */
  encodedLength(skip: readonly number[] = NO_SKIP): number {
    let total = 0;
    if (this.#values !== undefined) {
      for (const [code, value] of this.#values) {
        if (!skip.includes(code)) total += wireLength(value.length);
      }
      return total;
    }
    const spans = this.#spans;
    for (let i = 0; i < spans.length; i += 3) {
      if (!skip.includes(spans[i]!)) {
        total += wireLength(spans[i + 2]! - spans[i + 1]!);
      }
    }
    return total;
  }

  /**
   * Writes the options as code, length, value instances (END excluded),
   * splitting values longer than 255 bytes (RFC 3396).
   *
   * @param out The buffer to write into; it must have room for
   * {@linkcode encodedLength} bytes at the offset.
   * @param offset Where to start.
   * @param skip Codes to leave out.
   * @returns The offset after the last byte written.
   */
  encodeInto(
    out: Uint8Array,
    offset: number,
    skip: readonly number[] = NO_SKIP,
  ): number {
    let at = offset;
    if (this.#values !== undefined) {
      for (const [code, value] of this.#values) {
        if (skip.includes(code)) continue;
        at = writeOption(out, at, code, value, 0, value.length);
      }
      return at;
    }
    const packet = this.#packet;
    const spans = this.#spans;
    for (let i = 0; i < spans.length; i += 3) {
      const code = spans[i]!;
      if (skip.includes(code)) continue;
      at = writeOption(out, at, code, packet, spans[i + 1]!, spans[i + 2]!);
    }
    return at;
  }
}
