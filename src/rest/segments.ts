/**
 * Segment fields of track hashes (pure): months, days, hours and minutes are stored as the
 * unpadded numbers "0".."59". Looking these names up in a period's Counts (a Map) is cheaper
 * than parsing and sorting the fields (measured: bench/rest.ts and a month's 31 fields).
 */

export const MAX_SEGMENT = 59;

/** "0".."59": SEGMENT_NAMES[n] is the field of segment n. */
export const SEGMENT_NAMES: readonly string[] = Array.from({ length: MAX_SEGMENT + 1 }, (_, i) => String(i));

/** The same names sorted as strings, the old service's key order: "0", "1", "10", "11", ..., "19", "2", "20", ... */
export const SEGMENT_NAMES_IN_STRING_ORDER: readonly string[] = [...SEGMENT_NAMES].sort();
