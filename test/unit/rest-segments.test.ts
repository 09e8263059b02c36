import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SEGMENT_NAMES, SEGMENT_NAMES_IN_STRING_ORDER } from "../../src/rest/segments.js";

describe("REST segment field names", () => {
  it("names segments 0..59 unpadded, and lists them in string order", () => {
    assert.equal(SEGMENT_NAMES.length, 60);
    assert.equal(SEGMENT_NAMES[7], "7");
    assert.equal(SEGMENT_NAMES[59], "59");
    assert.deepEqual(SEGMENT_NAMES_IN_STRING_ORDER.slice(0, 5), ["0", "1", "10", "11", "12"]);
    assert.deepEqual(SEGMENT_NAMES_IN_STRING_ORDER.slice(11, 14), ["19", "2", "20"]);
    assert.deepEqual([...SEGMENT_NAMES_IN_STRING_ORDER].sort(), [...SEGMENT_NAMES].sort());
  });
});
