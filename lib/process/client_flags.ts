/**
 * The Deno flags every run of the ocidhcp client uses: `deno task client`,
 * the compiled executable, and the lab that starts it for the demo, tests
 * and benchmarks. deno.json's "client" task spells the same flags out (a
 * test holds them together).
 *
 * - `-P=client`: the "client" permission set of deno.json.
 * - `--unstable-net`: `Deno.listenDatagram`, for unicast renewals.
 * - `--v8-flags=--no-memory-reducer`: V8's memory reducer runs a full
 *   garbage collection some 30 s after start-up when the heap stops
 *   growing. For a client that then idles, that costs about 30 ms of CPU
 *   and saves under 2 MB of heap, while the collector's code, faulted back
 *   in after the executable's pages were dropped (see page_out.ts), adds
 *   3.5 MB. Allocation still triggers collections as usual.
 * - `--min-semi-space-size=4` (in the same V8 flags): the young generation
 *   starts at 4 MB per semi-space instead of growing from 1 MB, so start-up
 *   runs fewer scavenges: ready about 4 ms sooner with one interface, 1 ms
 *   with four, over 16 to 24 runs; idle memory changes by under 3 MB.
 *
 * @module
 */

/** The flags, in the order `deno run` and `deno compile` take them. */
export const CLIENT_FLAGS: readonly string[] = [
  "-P=client",
  "--unstable-net",
  "--v8-flags=--no-memory-reducer,--min-semi-space-size=4",
];
