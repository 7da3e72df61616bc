import assert from "node:assert/strict";
import { errorText } from "../../lib/log/error_text.ts";

Deno.test("errorText() gives an Error's message, anything else as a string", () => {
  assert.equal(errorText(new RangeError("out of range")), "out of range");
  assert.equal(errorText("plain"), "plain");
  assert.equal(errorText(42), "42");
  assert.equal(errorText(undefined), "undefined");
});
