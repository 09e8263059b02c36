/**
 * Response bodies of the legacy REST API (pure), written byte for byte as the old Go service's
 * encoding/json wrote them: fields in contract order, no spaces, `data` keys sorted as strings
 * ("1", "10", "2"), and `<`, `>`, `&`, U+2028, U+2029 escaped. JSON.stringify would put
 * integer-like keys in numeric order, so the object is assembled here.
 */
import type { Counts } from "../domain/types.js";
import { BodyWriter } from "./body-writer.js";
import type { Echo } from "./route.js";
import { SEGMENT_NAMES_IN_STRING_ORDER } from "./segments.js";

/** The links of an answer: `base` (already absolute, e.g. http://host/api/stats/track/acme) + "/" + child. */
export interface Links {
  base: string;
  children: ReadonlyArray<string | number>;
}

/** JSONP: the body goes between `open` and `close` (see jsonp.ts). */
export interface Wrap {
  open: string;
  close: string;
}

const writer = new BodyWriter();
const QUOTE = 0x22;
const COMMA = 0x2c;

/** The answer's bytes (UTF-8), wrapped for JSONP when `wrap` is given. */
export function renderBody(echo: Echo, links: Links, data: Counts | null, wrap?: Wrap): Buffer {
  const w = writer;
  w.rewind(0);
  if (wrap) w.text(wrap.open);
  field(w, '{"type":"', echo.type);
  field(w, '","account":"', echo.account);
  field(w, '","event":"', echo.event);
  field(w, '","year":"', echo.year);
  field(w, '","month":"', echo.month);
  field(w, '","day":"', echo.day);
  w.text('","links":[');
  writeLinks(w, links);
  if (data === null) w.text('],"data":null}');
  else {
    w.text('],"data":{');
    writeData(w, data);
    w.text("}}");
  }
  if (wrap) w.text(wrap.close);
  return w.take();
}

function field(w: BodyWriter, before: string, value: string): void {
  w.text(before);
  w.text(jsonStringBody(value));
}

/**
 * `"base/a","base/b"`: the first link's `"base/` is written once and repeated (a copy of bytes)
 * for every other link; numbers are written digit by digit.
 */
function writeLinks(w: BodyWriter, { base, children }: Links): void {
  if (children.length === 0) return;
  const start = w.position;
  w.byte(QUOTE);
  w.text(jsonStringBody(base));
  w.byte(0x2f); // "/"
  const end = w.position;
  for (let i = 0; i < children.length; i++) {
    if (i > 0) {
      w.byte(COMMA);
      w.repeat(start, end);
    }
    const child = children[i] as string | number;
    if (typeof child === "number") w.number(child);
    else w.text(jsonStringBody(child));
    w.byte(QUOTE);
  }
}

/** The members of `data`, keys in Go's order (sorted as strings, by code point). */
function writeData(w: BodyWriter, data: Counts): void {
  if (writeNumericData(w, data)) return;
  const keys = Array.from(data.keys());
  // Plain keys (most statuses) need neither escaping nor the code point sort.
  const plain = !NOT_PLAIN.test(keys.join(""));
  keys.sort(plain ? undefined : byCodePoint);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (i > 0) w.byte(COMMA);
    w.byte(QUOTE);
    w.text(plain ? key : jsonStringBody(key));
    w.text('":');
    w.number(jsonNumber(data.get(key) as number));
  }
}

/**
 * The data of a time series (every field a segment number), in string order without sorting.
 * False, with nothing written, when some field is anything else (a funnel status, a hand-written "07").
 */
function writeNumericData(w: BodyWriter, data: Counts): boolean {
  const from = w.position;
  let found = 0;
  for (let i = 0; i < SEGMENT_NAMES_IN_STRING_ORDER.length && found < data.size; i++) {
    const n = data.get(SEGMENT_NAMES_IN_STRING_ORDER[i] as string);
    if (n === undefined) continue;
    if (found++ > 0) w.byte(COMMA);
    w.text(DATA_KEYS_IN_STRING_ORDER[i] as string);
    w.number(jsonNumber(n));
  }
  if (found === data.size) return true;
  w.rewind(from);
  return false;
}

/** `"0":`, `"1":`, `"10":`, ...: the members' starts, in the same order. */
const DATA_KEYS_IN_STRING_ORDER = SEGMENT_NAMES_IN_STRING_ORDER.map((key) => `"${key}":`);

export function renderError(message: string): string {
  return `{"error":${jsonString(message)}}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON must escape every control character.
const ESCAPABLE = /["\\\u0000-\u001f<>&\u2028\u2029]/g;
/** What needs escaping, or sorts differently by code point than by UTF-16 unit (surrogates and up). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON must escape every control character.
const NOT_PLAIN = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\uffff]/;
const SHORT: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** A JSON string literal, HTML-safe and safe inside a JavaScript (JSONP) body. */
export function jsonString(s: string): string {
  return `"${jsonStringBody(s)}"`;
}

function jsonStringBody(s: string): string {
  if (s.search(ESCAPABLE) < 0) return s; // search() ignores the g flag and lastIndex
  return s.replace(ESCAPABLE, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Counts are integers; anything else Redis might hold (a float written by hand) still yields valid JSON. */
function jsonNumber(n: number): number {
  return Number.isFinite(n) ? n : 0;
}

/**
 * Go sorts map keys by their UTF-8 bytes, which is code point order. JavaScript's default sort
 * compares UTF-16 units, which differs only where a surrogate meets U+E000..U+FFFF.
 */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
