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
 * stored arrays, which callers must not change.
 *
 * @example Build the options of a DHCPDISCOVER
 * ```ts
 * import { DhcpOptions } from "./options.ts";
 * const options = new DhcpOptions([[53, new Uint8Array([1])]]);
 * options.set(55, new Uint8Array([1, 3, 6, 15]));
 * ```
 */
export class DhcpOptions {
  #values = new Map<number, Uint8Array>();

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

  /**
   * Returns an option's value.
   *
   * @param code The option code.
   * @returns The value, all instances joined, or undefined when absent.
   */
  get(code: number): Uint8Array | undefined {
    return this.#values.get(code);
  }

  /**
   * Tells whether an option is present.
   *
   * @param code The option code.
   * @returns Whether the option is present (possibly with an empty value).
   */
  has(code: number): boolean {
    return this.#values.has(code);
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
    this.#values.set(code, value.slice());
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
    const old = this.#values.get(code);
    this.#values.set(
      code,
      old === undefined ? value.slice() : concat(old, value),
    );
    return this;
  }

  /**
   * Removes an option.
   *
   * @param code The option code.
   * @returns Whether the option was present.
   */
  delete(code: number): boolean {
    return this.#values.delete(code);
  }

  /**
   * Lists the option codes.
   *
   * @returns The codes present, in first-insertion order.
   */
  codes(): number[] {
    return [...this.#values.keys()];
  }

  /**
   * Lists the options.
   *
   * @returns The code and value pairs, in first-insertion order.
   */
  entries(): Array<[number, Uint8Array]> {
    return [...this.#values.entries()];
  }

  /** The number of options present. */
  get size(): number {
    return this.#values.size;
  }

  /**
   * Iterates over the options.
   *
   * @returns An iterator over the code and value pairs.
   */
  [Symbol.iterator](): IterableIterator<[number, Uint8Array]> {
    return this.#values.entries();
  }

  /**
   * The number of bytes these options take on the wire, END excluded.
   *
   * @param skip Codes to leave out.
   * @returns The encoded length.
   */
  encodedLength(skip: readonly number[] = []): number {
    let total = 0;
    for (const [code, value] of this.#values) {
      if (skip.includes(code)) continue;
      const instances = Math.max(1, Math.ceil(value.length / 255));
      total += 2 * instances + value.length;
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
    skip: readonly number[] = [],
  ): number {
    let at = offset;
    for (const [code, value] of this.#values) {
      if (skip.includes(code)) continue;
      let start = 0;
      do {
        const length = Math.min(255, value.length - start);
        out[at++] = code;
        out[at++] = length;
        out.set(value.subarray(start, start + length), at);
        at += length;
        start += length;
      } while (start < value.length);
    }
    return at;
  }
}
