/**
 * The DHCPv4 codec: messages, options and the option value formats ocidhcp
 * uses.
 *
 * @module
 */

export * from "./constants.ts";
export * from "./errors.ts";
export { DhcpOptions } from "./options.ts";
export {
  clientHardwareAddress,
  createMessage,
  decodeMessage,
  type DhcpMessage,
  encodeMessage,
  formatMac,
  parseMac,
} from "./message.ts";
export * from "./option_values.ts";
export * from "./domain_search.ts";
export * from "./classless_routes.ts";
