/**
 * Checks on untrusted JSON records: each reader returns the typed value or
 * throws a {@linkcode FieldError} naming the field and what it holds.
 *
 * @module
 */

import { isValidDomainName } from "../dns/domain_name.ts";
import { isIpv4 } from "../net/ipv4.ts";

/** A field of a record is missing or has the wrong type or value. */
export class FieldError extends Error {
  /**
   * @param field The field's name.
   * @param expected What it must hold.
   * @param found What it holds.
   */
  constructor(field: string, expected: string, found: unknown) {
    let shown: string;
    try {
      shown = found === undefined ? "nothing" : JSON.stringify(found);
    } catch {
      shown = String(found);
    }
    if (shown.length > 60) shown = `${shown.slice(0, 57)}...`;
    super(`field "${field}" must be ${expected}, got ${shown}`);
    this.name = "FieldError";
  }
}

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

/**
 * Parses JSON text that must hold an object.
 *
 * @param text The text.
 * @returns The object.
 * @throws {SyntaxError} If the text is not JSON.
 * @throws {FieldError} If it is not an object.
 */
export function parseObject(text: string): JsonObject {
  const value: unknown = JSON.parse(text);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FieldError("(record)", "an object", value);
  }
  return value as JsonObject;
}

/** Reads a string field.
 *
 * @param record The parsed record.
 * @param name The field.
 * @returns The value.
 * @throws {FieldError} If it is missing or wrong.
 */
export function str(record: JsonObject, name: string): string {
  const value = record[name];
  if (typeof value !== "string") throw new FieldError(name, "a string", value);
  return value;
}

/**
 * Reads an integer field within bounds.
 *
 * @param record The parsed record.
 * @param name The field.
 * @param min The smallest value allowed.
 * @param max The largest value allowed.
 * @returns The value.
 * @throws {FieldError} If it is missing or wrong.
 */
export function int(
  record: JsonObject,
  name: string,
  min: number,
  max: number,
): number {
  const value = record[name];
  if (
    typeof value !== "number" || !Number.isInteger(value) || value < min ||
    value > max
  ) {
    throw new FieldError(name, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/** Reads a finite number field.
 *
 * @param record The parsed record.
 * @param name The field.
 * @returns The value.
 * @throws {FieldError} If it is missing or wrong.
 */
export function finite(record: JsonObject, name: string): number {
  const value = record[name];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new FieldError(name, "a finite number", value);
  }
  return value;
}

/**
 * Reads a positive number that may be infinite, written as null because
 * JSON has no Infinity.
 *
 * @param record The parsed record.
 * @param name The field.
 * @returns The value; Infinity for null.
 * @throws {FieldError} If it is missing or wrong.
 */
export function positiveOrInfinite(record: JsonObject, name: string): number {
  const value = record[name];
  if (value === null) return Infinity;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new FieldError(name, "a positive number or null", value);
  }
  return value;
}

/** Reads a number that may be infinite (null); negative values allowed.
 *
 * @param record The parsed record.
 * @param name The field.
 * @returns The value.
 * @throws {FieldError} If it is missing or wrong.
 */
export function numberOrInfinite(record: JsonObject, name: string): number {
  const value = record[name];
  if (value === null) return Infinity;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new FieldError(name, "a finite number or null", value);
  }
  return value;
}

/** Reads an IPv4 address field.
 *
 * @param record The parsed record.
 * @param name The field.
 * @returns The value.
 * @throws {FieldError} If it is missing or wrong.
 */
export function ipv4(record: JsonObject, name: string): string {
  const value = record[name];
  if (typeof value !== "string" || !isIpv4(value)) {
    throw new FieldError(name, "an IPv4 address", value);
  }
  return value;
}

/** Reads a list of IPv4 addresses.
 *
 * @param record The parsed record.
 * @param name The field.
 * @returns The value.
 * @throws {FieldError} If it is missing or wrong.
 */
export function ipv4List(record: JsonObject, name: string): string[] {
  const value = record[name];
  if (
    !Array.isArray(value) ||
    !value.every((item) => typeof item === "string" && isIpv4(item))
  ) {
    throw new FieldError(name, "a list of IPv4 addresses", value);
  }
  return value as string[];
}

/** Reads a domain name.
 *
 * @param record The parsed record.
 * @param name The field.
 * @returns The value.
 * @throws {FieldError} If it is missing or wrong.
 */
export function domain(record: JsonObject, name: string): string {
  const value = record[name];
  if (typeof value !== "string" || !isValidDomainName(value)) {
    throw new FieldError(name, "a domain name", value);
  }
  return value;
}

/** Reads a list of domain names.
 *
 * @param record The parsed record.
 * @param name The field.
 * @returns The value.
 * @throws {FieldError} If it is missing or wrong.
 */
export function domainList(record: JsonObject, name: string): string[] {
  const value = record[name];
  if (
    !Array.isArray(value) ||
    !value.every((item) => typeof item === "string" && isValidDomainName(item))
  ) {
    throw new FieldError(name, "a list of domain names", value);
  }
  return value as string[];
}

/** Reads a boolean field.
 *
 * @param record The parsed record.
 * @param name The field.
 * @returns The value.
 * @throws {FieldError} If it is missing or wrong.
 */
export function bool(record: JsonObject, name: string): boolean {
  const value = record[name];
  if (typeof value !== "boolean") {
    throw new FieldError(name, "true or false", value);
  }
  return value;
}

/**
 * Reads an optional field: absent (or undefined) gives undefined, anything
 * else must pass the reader.
 *
 * @param record The parsed record.
 * @param name The field.
 * @param read The reader of a present value.
 * @returns The value, or undefined when absent.
 * @throws {FieldError} If it is present and wrong.
 */
export function optional<T>(
  record: JsonObject,
  name: string,
  read: (record: JsonObject, name: string) => T,
): T | undefined {
  return record[name] === undefined ? undefined : read(record, name);
}
