/**
 * The errors the DHCP decoders throw.
 *
 * @module
 */

/**
 * A DHCP message, or a part of one, could not be decoded. The decoders throw
 * nothing else, whatever bytes they are given.
 */
export class DecodeError extends Error {
  /** What was being decoded, such as "magic cookie", "options" or "file". */
  readonly field: string;
  /** Where the problem is: within the message, or within an option value. */
  readonly offset: number;

  /**
   * Creates a DecodeError.
   *
   * @param detail What is wrong, without the "Cannot decode" prefix.
   * @param field What was being decoded.
   * @param offset Where the problem is.
   * @param subject What could not be decoded, for the message's prefix.
   */
  constructor(
    detail: string,
    field: string,
    offset: number,
    subject = "DHCP message",
  ) {
    super(`Cannot decode ${subject}: ${detail}`);
    this.name = "DecodeError";
    this.field = field;
    this.offset = offset;
  }
}

/**
 * An option is present but its value is malformed. The field is the option's
 * RFC name, such as "subnet mask (1)", and the offset is within its value.
 */
export class OptionError extends DecodeError {
  /**
   * Creates an OptionError.
   *
   * @param detail What is wrong.
   * @param field The option's name, such as "subnet mask (1)".
   * @param offset Where within the option value the problem is.
   */
  constructor(detail: string, field: string, offset: number) {
    super(detail, field, offset, `DHCP option ${field}`);
    this.name = "OptionError";
  }
}
