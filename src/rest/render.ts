/**
 * Response bodies of the legacy REST API (pure), written byte for byte as the old Go service's
 * encoding/json wrote them: fields in contract order, no spaces, `data` keys sorted as strings
 * ("1", "10", "2"), and `<`, `>`, `&`, U+2028, U+2029 escaped. JSON.stringify would put
 * integer-like keys in numeric order, so the object is assembled here.
 */
import type { Counts } from "../domain/types.js";
import type { Echo } from "./route.js";
import { SEGMENT_NAMES_IN_STRING_ORDER } from "./segments.js";

/** The links of an answer: `base` (already absolute, e.g. http://host/api/stats/track/acme) + "/" + child. */
export interface Links {
  base: string;
  children: ReadonlyArray<string | number>;
}

export function renderBody(echo: Echo, links: Links, data: Counts | null): string {
  return (
    `{"type":${jsonString(echo.type)},"account":${jsonString(echo.account)},"event":${jsonString(echo.event)}` +
    `,"year":${jsonString(echo.year)},"month":${jsonString(echo.month)},"day":${jsonString(echo.day)}` +
    `,"links":[${renderLinks(links)}],"data":${data === null ? "null" : `{${renderData(data)}}`}}`
  );
}

/**
 * `"base/a","base/b"`: one join of the children with `","base/` between them (numbers join as
 * String(n) does), rather than a concatenation per link.
 */
function renderLinks({ base, children }: Links): string {
  if (children.length === 0) return "";
  const start = `"${jsonStringBody(base)}/`;
  const names = children.every((child) => typeof child === "number")
    ? children
    : children.map((child) => (typeof child === "number" ? child : jsonStringBody(child)));
  return `${start}${names.join(`",${start}`)}"`;
}

/** The members of `data`, keys in Go's order (sorted as strings, by code point). */
function renderData(data: Counts): string {
  const numeric = numericData(data);
  if (numeric !== undefined) return numeric;
  const keys = Array.from(data.keys());
  // Plain keys (most statuses) need neither escaping nor the code point sort.
  const plain = !NOT_PLAIN.test(keys.join(""));
  keys.sort(plain ? undefined : byCodePoint);
  let out = "";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    out += `${i > 0 ? "," : ""}${plain ? `"${key}"` : jsonString(key)}:${jsonNumber(data.get(key) as number)}`;
  }
  return out;
}

/**
 * The data of a time series (every field a segment number) in string order without sorting,
 * or undefined when some field is anything else (a funnel status, a hand-written "07").
 */
function numericData(data: Counts): string | undefined {
  const members: string[] = [];
  for (let i = 0; i < SEGMENT_NAMES_IN_STRING_ORDER.length && members.length < data.size; i++) {
    const n = data.get(SEGMENT_NAMES_IN_STRING_ORDER[i] as string);
    if (n !== undefined) members.push(`${DATA_KEYS_IN_STRING_ORDER[i]}${jsonNumber(n)}`);
  }
  return members.length === data.size ? members.join(",") : undefined;
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
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : "0";
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
