/**
 * Property-based fuzzing of the DHCP codec with fast-check.
 *
 * The properties are exported for `tests/dhcp/property_test.ts`, which runs
 * them briefly in CI. Run as a program, this module is the long campaign:
 *
 * ```sh
 * deno run -A scripts/fuzz.ts [runs per property] [seed]
 * ```
 *
 * It prints the seed, runs every property in a worker so that a decoder
 * stuck in a loop is caught by a watchdog, and writes each failing input to
 * `tests/dhcp/regressions/<sha-256 prefix>.bin`, where the regression test
 * picks it up.
 *
 * Limitations: a synchronous decoder loop cannot be interrupted inside the
 * worker, so a hang is caught only by the watchdog (after 10 to 20 s) and
 * ends the campaign; the saved input then hangs the regression test too,
 * until the decoder is fixed. Inputs over 70,000 bytes are saved truncated
 * after a hang.
 *
 * @module
 */

import fc from "fast-check";
import { LeaseError, leaseFromAck } from "../lib/client/lease.ts";
import { DecodeError } from "../lib/dhcp/errors.ts";
import {
  createMessage,
  decodeMessage,
  type DhcpMessage,
  encodeMessage,
} from "../lib/dhcp/message.ts";
import * as values from "../lib/dhcp/option_values.ts";
import { DhcpOptions } from "../lib/dhcp/options.ts";
import { ACK, DISCOVER } from "../tests/dhcp/fixtures.ts";

/** Every typed getter of option_values.ts, by name. */
export const GETTERS: ReadonlyArray<
  readonly [string, (o: DhcpOptions) => unknown]
> = [
  ["subnetMask", values.subnetMask],
  ["routers", values.routers],
  ["domainNameServers", values.domainNameServers],
  ["hostName", values.hostName],
  ["domainName", values.domainName],
  ["broadcastAddress", values.broadcastAddress],
  ["interfaceMtu", values.interfaceMtu],
  ["requestedIpAddress", values.requestedIpAddress],
  ["ipAddressLeaseTime", values.ipAddressLeaseTime],
  ["dhcpMessageType", values.dhcpMessageType],
  ["serverIdentifier", values.serverIdentifier],
  ["parameterRequestList", values.parameterRequestList],
  ["maximumDhcpMessageSize", values.maximumDhcpMessageSize],
  ["renewalTimeValue", values.renewalTimeValue],
  ["rebindingTimeValue", values.rebindingTimeValue],
  ["vendorClassIdentifier", values.vendorClassIdentifier],
  ["clientIdentifier", values.clientIdentifier],
  ["message", values.message],
  ["domainSearch", values.domainSearch],
  ["classlessStaticRoutes", values.classlessStaticRoutes],
];

/**
 * The slowest a single input may be handled, in milliseconds. Decoding a
 * 64 KiB datagram takes well under a millisecond; the margin absorbs garbage
 * collection pauses on a loaded machine, not a super-linear decoder.
 */
export const CASE_TIME_LIMIT_MS = 250;

/**
 * The largest re-encoding of a decoded input: its values cannot outgrow the
 * input, and splitting them again (RFC 3396) costs two bytes per 255 bytes
 * and per code at most.
 *
 * @param inputLength The length of the decoded input.
 * @returns The most bytes its re-encoding may take.
 */
export function encodedSizeBound(inputLength: number): number {
  return Math.max(300, 240 + 2 * inputLength + 2 * 254 + 1);
}

function describe(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
}

/**
 * Feeds one input to everything that handles untrusted bytes: the decoder,
 * every getter, leaseFromAck and a re-encoding of what decoded.
 *
 * @param input The datagram payload.
 * @returns Whether it decoded.
 * @throws {Error} Describing the first broken promise: an error other than
 * DecodeError from the decoder or a getter, other than LeaseError or
 * DecodeError from leaseFromAck, a re-encoding that is out of proportion or
 * decodes differently, or a case slower than {@linkcode CASE_TIME_LIMIT_MS}.
 */
export function exercise(input: Uint8Array): boolean {
  const started = performance.now();
  let message: DhcpMessage;
  try {
    message = decodeMessage(input);
  } catch (error) {
    if (!(error instanceof DecodeError)) {
      throw new Error(`decodeMessage threw ${describe(error)}`);
    }
    checkTime(started, input);
    return false;
  }
  for (const [name, getter] of GETTERS) {
    try {
      getter(message.options);
    } catch (error) {
      if (!(error instanceof DecodeError)) {
        throw new Error(`${name} threw ${describe(error)}`);
      }
    }
  }
  try {
    leaseFromAck(message, { interface: "eth0", acquiredAt: 0 });
  } catch (error) {
    if (!(error instanceof LeaseError) && !(error instanceof DecodeError)) {
      throw new Error(`leaseFromAck threw ${describe(error)}`);
    }
  }
  const encoded = encodeMessage(message);
  if (encoded.length > encodedSizeBound(input.length)) {
    throw new Error(
      `a ${input.length}-byte input re-encodes to ${encoded.length} bytes`,
    );
  }
  const again = decodeMessage(encoded);
  const expected = message.options.entries().filter(([code]) => code !== 52);
  if (!sameEntries(again.options.entries(), expected)) {
    throw new Error("re-encoding changed the options");
  }
  checkTime(started, input);
  return true;
}

function checkTime(started: number, input: Uint8Array): void {
  const elapsed = performance.now() - started;
  if (elapsed > CASE_TIME_LIMIT_MS) {
    throw new Error(
      `a ${input.length}-byte input took ${elapsed.toFixed(0)} ms`,
    );
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function sameEntries(
  a: ReadonlyArray<readonly [number, Uint8Array]>,
  b: ReadonlyArray<readonly [number, Uint8Array]>,
): boolean {
  return a.length === b.length &&
    a.every(([code, value], i) =>
      b[i]![0] === code && sameBytes(value, b[i]![1])
    );
}

/**
 * Compares two messages field by field, options in order.
 *
 * @param a One message.
 * @param b The other.
 * @returns Whether they are equal.
 */
export function sameMessage(a: DhcpMessage, b: DhcpMessage): boolean {
  return a.op === b.op && a.htype === b.htype && a.hlen === b.hlen &&
    a.hops === b.hops && a.xid === b.xid && a.secs === b.secs &&
    a.flags === b.flags && a.ciaddr === b.ciaddr && a.yiaddr === b.yiaddr &&
    a.siaddr === b.siaddr && a.giaddr === b.giaddr &&
    sameBytes(a.chaddr, b.chaddr) && sameBytes(a.sname, b.sname) &&
    sameBytes(a.file, b.file) &&
    sameEntries(a.options.entries(), b.options.entries());
}

const OVERLOAD = 52;
const cookie = [0x63, 0x82, 0x53, 0x63];

/** Generated messages; option 52 is left out, since encoding drops it. */
export const messageArbitrary: fc.Arbitrary<DhcpMessage> = fc.record({
  op: fc.integer({ min: 0, max: 255 }),
  htype: fc.integer({ min: 0, max: 255 }),
  hlen: fc.integer({ min: 0, max: 255 }),
  hops: fc.integer({ min: 0, max: 255 }),
  xid: fc.integer({ min: 0, max: 0xffffffff }),
  secs: fc.integer({ min: 0, max: 0xffff }),
  flags: fc.integer({ min: 0, max: 0xffff }),
  ciaddr: fc.ipV4(),
  yiaddr: fc.ipV4(),
  siaddr: fc.ipV4(),
  giaddr: fc.ipV4(),
  chaddr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  sname: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  file: fc.uint8Array({ minLength: 128, maxLength: 128 }),
  options: fc.uniqueArray(
    fc.tuple(
      fc.integer({ min: 1, max: 254 }).filter((code) => code !== OVERLOAD),
      fc.oneof(
        { arbitrary: fc.uint8Array({ maxLength: 16 }), weight: 4 },
        {
          arbitrary: fc.uint8Array({ minLength: 200, maxLength: 1200 }),
          weight: 1,
        },
      ),
    ),
    { selector: ([code]) => code, maxLength: 12 },
  ).map((entries) => new DhcpOptions(entries)),
}).map((fields) => createMessage(fields));

/**
 * A packet with instances of the same codes and an overload into file and
 * sname, written by hand because encodeMessage never overloads.
 */
function overloadedPacket(): Uint8Array {
  const out = new Uint8Array(300);
  out.set(ACK.subarray(0, 236));
  out.set(cookie, 236);
  // sname: a host name; file: a second router and the lease time.
  out.set([12, 4, 0x68, 0x6f, 0x73, 0x74, 255], 44);
  out.set([3, 4, 192, 168, 1, 2, 51, 4, 0, 0, 0x0e, 0x10, 255], 108);
  out.set(
    [53, 1, 5, 52, 1, 3, 54, 4, 192, 168, 1, 1, 3, 4, 192, 168, 1, 1, 255],
    240,
  );
  return out;
}

/** The real-shaped packets mutations start from. */
export const SEEDS: readonly Uint8Array[] = [DISCOVER, ACK, overloadedPacket()];

/** Offsets of the length bytes of the options in a well-formed packet. */
function lengthOffsets(packet: Uint8Array): number[] {
  const out: number[] = [];
  let at = 240;
  while (at + 1 < packet.length && packet[at] !== 255) {
    if (packet[at] === 0) {
      at++;
      continue;
    }
    out.push(at + 1);
    at += 2 + packet[at + 1]!;
  }
  return out;
}

/** Replaces option 119 or 121 of ACK by a value, split at 255 bytes. */
function withOption(code: number, value: Uint8Array): Uint8Array {
  const message = decodeMessage(ACK);
  message.options.set(code, value);
  return encodeMessage(message);
}

type Mutation = (packet: Uint8Array) => Uint8Array;

const bitFlips: fc.Arbitrary<Mutation> = fc.array(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })),
  { minLength: 1, maxLength: 6 },
).map((flips) => (packet) => {
  const out = packet.slice();
  for (const [at, bit] of flips) out[at % out.length]! ^= 1 << bit;
  return out;
});

const truncation: fc.Arbitrary<Mutation> = fc.nat().map((cut) => (packet) =>
  packet.slice(0, cut % (packet.length + 1))
);

const lengthByte: fc.Arbitrary<Mutation> = fc.tuple(
  fc.nat(),
  fc.constantFrom(0, 1, 255),
).map(([which, length]) => (packet) => {
  const offsets = lengthOffsets(packet);
  const out = packet.slice();
  if (offsets.length > 0) out[offsets[which % offsets.length]!] = length;
  return out;
});

/** Well-formed option instances, to fill an overloaded field with. */
const optionBytes: fc.Arbitrary<Uint8Array> = fc.array(
  fc.tuple(fc.integer({ min: 1, max: 254 }), fc.uint8Array({ maxLength: 24 })),
  { maxLength: 12 },
).map((options) =>
  new Uint8Array(
    options.flatMap(([code, value]) => [code, value.length, ...value]),
  )
);

/** Overloaded file and sname: random bytes or options, cut anywhere. */
const overloadGarbage: fc.Arbitrary<Mutation> = fc.tuple(
  fc.integer({ min: 0, max: 4 }),
  fc.oneof(fc.uint8Array({ maxLength: 128 }), optionBytes),
  fc.oneof(fc.uint8Array({ maxLength: 64 }), optionBytes),
  fc.boolean(),
).map(([mode, file, sname, terminate]) => (packet) => {
  // A truncated packet is padded back to the header's length first.
  const out = new Uint8Array(Math.max(240, packet.length));
  out.set(packet);
  out.fill(0, 44, 236);
  out.set(sname.subarray(0, 64), 44);
  out.set(file.subarray(0, 128), 108);
  if (terminate) {
    out[44 + Math.min(sname.length, 63)] = 255;
    out[108 + Math.min(file.length, 127)] = 255;
  }
  // Option 52 first, so that the rest of the options area follows it.
  const overloaded = new Uint8Array(out.length + 3);
  overloaded.set(out.subarray(0, 240));
  overloaded.set([52, 1, mode], 240);
  overloaded.set(out.subarray(240), 243);
  return overloaded;
});

/**
 * Domain search values built to stress pointers: labels, pointers anywhere
 * (forwards, to themselves, into the middle of labels), and reserved label
 * types.
 */
const searchValue: fc.Arbitrary<Uint8Array> = fc.array(
  fc.oneof(
    fc.constantFrom([0], [3, 0x63, 0x6f, 0x6d], [1, 0x61]),
    fc.tuple(fc.integer({ min: 0, max: 0x3f }), fc.nat(255)).map((
      [high, low],
    ) => [0xc0 | high, low]),
    fc.tuple(fc.constantFrom(0x40, 0x80, 0x3f), fc.nat(255)).map((
      [type, byte],
    ) => [type, byte]),
  ),
  { maxLength: 40 },
).map((parts) => new Uint8Array(parts.flat()));

const searchLoops: fc.Arbitrary<Mutation> = searchValue.map((value) => () =>
  withOption(119, value)
);

/** Routes with prefix lengths anywhere in 0 to 255, not only up to 32. */
const routeValue: fc.Arbitrary<Uint8Array> = fc.array(
  fc.tuple(
    fc.oneof(
      fc.integer({ min: 0, max: 32 }),
      fc.integer({ min: 33, max: 255 }),
    ),
    fc.uint8Array({ maxLength: 8 }),
  ),
  { maxLength: 8 },
).map((routes) =>
  new Uint8Array(routes.flatMap(([prefix, rest]) => [prefix, ...rest]))
);

const badRoutes: fc.Arbitrary<Mutation> = routeValue.map((value) => () =>
  withOption(121, value)
);

/** One or more mutations of one of the {@linkcode SEEDS}. */
export const mutatedArbitrary: fc.Arbitrary<Uint8Array> = fc.tuple(
  fc.constantFrom(...SEEDS),
  fc.array(
    fc.oneof(
      bitFlips,
      truncation,
      lengthByte,
      overloadGarbage,
      searchLoops,
      badRoutes,
    ),
    { minLength: 1, maxLength: 3 },
  ),
).map(([seed, mutations]) =>
  mutations.reduce((packet, mutate) => mutate(packet), seed)
);

/** Random bytes, usually with a valid cookie so the option parser runs. */
export const randomArbitrary: fc.Arbitrary<Uint8Array> = fc.tuple(
  // fast-check favours short arrays; half the inputs are long enough to
  // carry options and to reach into sname and file.
  fc.oneof(
    fc.uint8Array({ maxLength: 800 }),
    fc.uint8Array({ minLength: 240, maxLength: 800, size: "max" }),
  ),
  fc.boolean(),
).map(([bytes, withCookie]) => {
  if (!withCookie) return bytes;
  const out = new Uint8Array(Math.max(240, bytes.length));
  out.set(bytes);
  out.set(cookie, 236);
  return out;
});

/** A fuzzing property over input bytes. */
export interface ByteProperty {
  /** What it checks, for reports. */
  name: string;
  /** The inputs. */
  arbitrary: fc.Arbitrary<Uint8Array>;
}

/** The byte-level properties: random and mutated inputs. */
export const BYTE_PROPERTIES: readonly ByteProperty[] = [
  { name: "random bytes", arbitrary: randomArbitrary },
  { name: "mutated real packets", arbitrary: mutatedArbitrary },
];

/**
 * Checks that a generated message survives encoding and decoding.
 *
 * @param message The message.
 * @throws {Error} If the decoded message differs.
 */
export function roundTrip(message: DhcpMessage): void {
  const decoded = decodeMessage(encodeMessage(message));
  if (!sameMessage(decoded, message)) {
    throw new Error("decode(encode(message)) differs from the message");
  }
}

/**
 * Names a regression input by its content.
 *
 * @param input The input.
 * @returns The first 8 bytes of its SHA-256 in hex, with ".bin".
 */
export async function regressionName(input: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", input.slice()),
  );
  return [...digest.subarray(0, 8)]
    .map((byte) => byte.toString(16).padStart(2, "0")).join("") + ".bin";
}

const REGRESSIONS = new URL("../tests/dhcp/regressions/", import.meta.url);

interface WorkerRequest {
  runs: number;
  seed: number;
  progress: SharedArrayBuffer;
}

type WorkerReply =
  | { type: "done"; name: string; runs: number }
  | { type: "failed"; name: string; input: Uint8Array; error: string };

/**
 * Worker side: runs every property and reports failures. Before each case
 * it writes the input into the shared buffer, so that the watchdog can save
 * the input of a case that never ends.
 */
function runInWorker(request: WorkerRequest): void {
  const { runs, seed } = request;
  const shared = new Int32Array(request.progress);
  const bytes = new Uint8Array(request.progress, 8);
  const post = (reply: WorkerReply): void => workerScope().postMessage(reply);
  const record = (input: Uint8Array): void => {
    const length = Math.min(input.length, bytes.length);
    bytes.set(input.subarray(0, length));
    shared[1] = length;
    Atomics.add(shared, 0, 1);
  };
  const properties: Array<
    readonly [string, fc.Arbitrary<Uint8Array>, (input: Uint8Array) => void]
  > = BYTE_PROPERTIES.map((p) => [p.name, p.arbitrary, exercise] as const);
  properties.unshift([
    "round trip",
    messageArbitrary.map((m) => encodeMessage(m)),
    (input) => roundTrip(decodeMessage(input)),
  ]);
  for (const [name, arbitrary, check] of properties) {
    const details = fc.check(
      fc.property(arbitrary, (input) => {
        record(input);
        check(input);
      }),
      { numRuns: runs, seed },
    );
    if (details.failed && details.counterexample !== null) {
      post({
        type: "failed",
        name,
        input: details.counterexample[0],
        error: describe(details.errorInstance),
      });
    } else {
      post({ type: "done", name, runs: details.numRuns });
    }
  }
  workerScope().close();
}

/** The parts of a worker's global scope used here. */
interface WorkerScope {
  postMessage(message: WorkerReply): void;
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  close(): void;
}

function workerScope(): WorkerScope {
  return globalThis as unknown as WorkerScope;
}

async function main(args: readonly string[]): Promise<number> {
  const runs = Number(args[0] ?? 1_000_000);
  const seed = Number(args[1] ?? (Date.now() ^ (Math.random() * 2 ** 31)));
  console.log(`fuzzing with seed ${seed}, ${runs} runs per property`);
  const progress = new SharedArrayBuffer(8 + 70_000);
  const shared = new Int32Array(progress);
  const worker = new Worker(import.meta.url, { type: "module" });
  let failures = 0;
  let pending = 1 + BYTE_PROPERTIES.length;
  const save = async (input: Uint8Array, why: string): Promise<void> => {
    failures++;
    await Deno.mkdir(REGRESSIONS, { recursive: true });
    const file = new URL(await regressionName(input), REGRESSIONS);
    await Deno.writeFile(file, input);
    console.log(`${why}\n  input saved to ${file.pathname}`);
  };
  const finished = new Promise<void>((resolve) => {
    worker.onmessage = async (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      if (reply.type === "failed") {
        await save(reply.input, `FAILED ${reply.name}: ${reply.error}`);
      } else {
        console.log(`ok ${reply.name}: ${reply.runs} cases`);
      }
      if (--pending === 0) resolve();
    };
  });
  worker.postMessage({ runs, seed, progress } satisfies WorkerRequest);
  // The watchdog: a case that makes no progress for 10 s is a hang.
  let last = -1;
  let stalled = false;
  const timer = setInterval(() => {
    const count = Atomics.load(shared, 0);
    if (count === last && count > 0) stalled = true;
    last = count;
  }, 10_000);
  while (!stalled) {
    const done = await Promise.race([
      finished.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 500)),
    ]);
    if (done) break;
  }
  clearInterval(timer);
  if (stalled) {
    worker.terminate();
    const input = new Uint8Array(progress, 8, shared[1]!).slice();
    await save(input, "FAILED: a case ran for over 10 s");
  }
  console.log(`seed ${seed}: ${failures} failure(s)`);
  return failures === 0 ? 0 : 1;
}

// import.meta.main is true in a worker too, so the worker is told apart by
// its global scope.
const inWorker =
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !==
    "undefined";
if (inWorker) {
  workerScope().onmessage = (event) => runInWorker(event.data);
} else if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
