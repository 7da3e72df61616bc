/**
 * Validation of domain names that come from DHCP servers.
 *
 * Lease data is untrusted: a domain name reaches resolv.conf and hook
 * environments, where a newline, a space or a quote would inject another
 * directive or command. Only names made of RFC 1123 host-name labels
 * (letters, digits and inner hyphens, 1 to 63 characters each, 253 in
 * all) are accepted; underscores, which some private zones use, are
 * refused like any other character outside that set.
 *
 * @module
 */

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Tells why a string is not a valid domain name, or undefined when it is.
 *
 * A single trailing dot (the root) is accepted and ignored.
 *
 * @param name The candidate name.
 * @returns The problem in a few words, or undefined.
 *
 * @example Reject an injected directive
 * ```ts
 * import { domainNameProblem } from "./domain_name.ts";
 * domainNameProblem("example.com\nnameserver 6.6.6.6");
 * // "label \"com\\nnameserver 6\" has characters other than ..."
 * ```
 */
export function domainNameProblem(name: string): string | undefined {
  const trimmed = name.endsWith(".") ? name.slice(0, -1) : name;
  if (trimmed.length === 0) return "empty name";
  if (trimmed.length > 253) {
    return `longer than 253 characters (${trimmed.length})`;
  }
  for (const label of trimmed.split(".")) {
    if (label.length === 0) return "empty label";
    if (label.length > 63) return `label longer than 63 characters`;
    if (!LABEL.test(label)) {
      return `label ${JSON.stringify(label)} has characters other than ` +
        `letters, digits and inner hyphens`;
    }
  }
  return undefined;
}

/**
 * Tells whether a string is a valid domain name (see the module notes).
 *
 * @param name The candidate name.
 * @returns True when it is safe to write to resolv.conf.
 */
export function isValidDomainName(name: string): boolean {
  return domainNameProblem(name) === undefined;
}
