/**
 * Property tests of the codec with fast-check: generated messages survive a
 * round trip, and random or mutated bytes (including every input saved in
 * `regressions/`) make the decoder, the option getters and leaseFromAck
 * throw nothing but their own errors, quickly and in proportion.
 *
 * FUZZ_RUNS sets the cases per property (default 35,000: over 100,000 in
 * all); `scripts/fuzz.ts` runs the same properties for millions of cases.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeMessage, encodeMessage } from "../../lib/dhcp/message.ts";
import {
  BYTE_PROPERTIES,
  exercise,
  messageArbitrary,
  regressionName,
  roundTrip,
  SEEDS,
} from "../../scripts/fuzz.ts";
import { ACK } from "./fixtures.ts";

const RUNS = Number(Deno.env.get("FUZZ_RUNS") ?? 35_000);
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x0c1d);

Deno.test("decode(encode(message)) gives back any generated message", () => {
  let long = 0;
  fc.assert(
    fc.property(messageArbitrary, (message) => {
      roundTrip(message);
      // Count values that RFC 3396 had to split, to show they were tried.
      if (message.options.entries().some(([, v]) => v.length > 255)) long++;
    }),
    { numRuns: RUNS, seed: SEED },
  );
  assert.ok(long > RUNS / 100, `only ${long} messages had long options`);
});

Deno.test("a value over 255 bytes is split into instances and joined back", () => {
  const message = decodeMessage(encodeMessage(
    fc.sample(messageArbitrary, {
      numRuns: 1,
      seed: SEED,
    })[0]!,
  ));
  message.options.set(43, new Uint8Array(600).fill(7));
  const bytes = encodeMessage(message);
  // 600 bytes go out as 255 + 255 + 90, each with its code and length.
  const at = bytes.indexOf(43, 240);
  assert.equal(bytes[at + 1], 255);
  assert.equal(bytes[at + 257], 43);
  assert.equal(bytes[at + 258], 255);
  assert.equal(bytes[at + 514], 43);
  assert.equal(bytes[at + 515], 90);
  assert.deepEqual(
    decodeMessage(bytes).options.get(43),
    message.options.get(43),
  );
});

for (const property of BYTE_PROPERTIES) {
  Deno.test(
    `${property.name} only ever throw DecodeError, LeaseError or OptionError`,
    () => {
      let decoded = 0;
      fc.assert(
        fc.property(property.arbitrary, (input) => {
          if (exercise(input)) decoded++;
        }),
        { numRuns: RUNS, seed: SEED },
      );
      // The generators must reach past the header into options and leases.
      assert.ok(decoded > RUNS / 20, `only ${decoded} of ${RUNS} decoded`);
    },
  );
}

Deno.test("every truncation of every seed packet is handled", () => {
  for (const [i, seed] of SEEDS.entries()) {
    let decoded = 0;
    for (let length = 0; length <= seed.length; length++) {
      if (exercise(seed.subarray(0, length))) decoded++;
    }
    // At least the cuts after the last option and in the trailing padding.
    assert.ok(decoded > 0, `no truncation of seed ${i} decoded`);
  }
});

Deno.test("every saved regression input decodes or throws DecodeError", async (t) => {
  const directory = new URL("./regressions/", import.meta.url);
  let count = 0;
  for await (const entry of Deno.readDir(directory)) {
    if (!entry.name.endsWith(".bin")) continue;
    count++;
    const input = await Deno.readFile(new URL(entry.name, directory));
    await t.step(entry.name, async () => {
      assert.equal(await regressionName(input), entry.name, "renamed input");
      exercise(input);
    });
  }
  assert.ok(count > 0, "no regression inputs found");
});

Deno.test("exercise() tells decodable inputs from undecodable ones", () => {
  assert.equal(exercise(ACK), true);
  assert.equal(exercise(ACK.subarray(0, 239)), false);
  // An option that runs past the end of the packet.
  const broken = ACK.slice();
  broken[241] = 255;
  assert.equal(exercise(broken), false);
});
