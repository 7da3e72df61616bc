import assert from "node:assert/strict";
import {
  failureDelay,
  renewalRetransmitDelay,
  retransmitDelay,
} from "../../lib/client/backoff.ts";

const LOW = (): number => 0;
const MIDDLE = (): number => 0.5;
const HIGH = (): number => 0.999;

Deno.test("retransmitDelay() doubles from 4 s to 64 s", async (t) => {
  const expected = [4, 8, 16, 32, 64, 64, 64];
  for (const [attempt, base] of expected.entries()) {
    await t.step(`attempt ${attempt}`, () => {
      assert.equal(retransmitDelay(attempt, MIDDLE), base * 1000);
      assert.equal(retransmitDelay(attempt, LOW), base * 1000 - 1000);
      assert.ok(retransmitDelay(attempt, HIGH) > base * 1000 + 990);
      assert.ok(retransmitDelay(attempt, HIGH) < base * 1000 + 1000);
    });
  }
  await t.step("a huge attempt stays at 64 s", () => {
    assert.equal(retransmitDelay(1_000_000, MIDDLE), 64_000);
  });
});

Deno.test("retransmitDelay() stops doubling at a smaller cap", () => {
  const bases = [4, 8, 10, 10];
  for (const [attempt, base] of bases.entries()) {
    assert.equal(retransmitDelay(attempt, MIDDLE, 10_000), base * 1000);
  }
  assert.equal(retransmitDelay(0, MIDDLE, 2000), 2000);
  assert.equal(retransmitDelay(0, LOW, 2000), 1000);
  for (const cap of [1999, 2500.5, NaN]) {
    assert.throws(() => retransmitDelay(0, MIDDLE, cap), RangeError);
  }
});

Deno.test("retransmitDelay() rejects a bad attempt", () => {
  for (const attempt of [-1, 0.5, NaN]) {
    assert.throws(
      () => retransmitDelay(attempt, MIDDLE),
      new RangeError(
        `Retransmission attempt must be an integer of at least 0, got ${attempt}`,
      ),
    );
  }
});

Deno.test("failureDelay() doubles from 1 s to 64 s with jitter", async (t) => {
  const expected = [1, 2, 4, 8, 16, 32, 64, 64, 64];
  for (const [index, base] of expected.entries()) {
    const failures = index + 1;
    await t.step(`${failures} failures`, () => {
      assert.equal(failureDelay(failures, LOW), base * 500);
      assert.equal(failureDelay(failures, MIDDLE), base * 750);
      assert.ok(failureDelay(failures, HIGH) < base * 1000);
    });
  }
  await t.step("0 failures is a misuse", () => {
    assert.throws(() => failureDelay(0, MIDDLE), RangeError);
  });
});

Deno.test("renewalRetransmitDelay() follows RFC 2131 4.4.5", async (t) => {
  const cases: Array<[string, number, number]> = [
    ["half of a long wait", 1_000_000, 500_000],
    ["60 s floor", 100_000, 60_000],
    ["exactly 120 s", 120_000, 60_000],
    ["exactly 60 s", 60_000, 60_000],
    ["under 60 s waits for the deadline", 30_000, 30_000],
    ["nothing left", 0, 0],
    ["deadline passed", -5, 0],
    ["infinite lease", Infinity, Infinity],
  ];
  for (const [name, remaining, delay] of cases) {
    await t.step(name, () => {
      assert.equal(renewalRetransmitDelay(remaining), delay);
    });
  }
  await t.step("NaN is rejected", () => {
    assert.throws(() => renewalRetransmitDelay(NaN), RangeError);
  });
});
