/**
 * Prints what the ioctl reader sees in the namespace it runs in, as JSON:
 * `{ all, named }`, where `named` are the links read by the names given as
 * arguments.
 */
import { readAllLinks, readLinks } from "../../lib/net/link_ioctl.ts";

console.log(JSON.stringify({
  all: readAllLinks(),
  named: Object.fromEntries(readLinks(Deno.args)),
}));
