/**
 * Legacy REST routing (pure): the path below the prefix → which listing or period it names, or
 * why it names none. Types and depth decide 404; names, numbers and dates decide 400.
 */
import { NAME_PATTERN, NAME_RULE } from "../domain/names.js";
import { periodError } from "../store/period.js";
import type { Kind, Period } from "../store/types.js";

/** The six fields every answer starts with: the path's segments as written ("" when absent). */
export interface Echo {
  type: string;
  account: string;
  event: string;
  year: string;
  month: string;
  day: string;
}

export type Route =
  | { level: "root"; echo: Echo }
  | { level: "accounts"; kind: Kind; echo: Echo }
  | { level: "events"; kind: Kind; account: string; echo: Echo }
  | { level: "years"; kind: Kind; account: string; event: string; echo: Echo }
  | { level: "period"; kind: Kind; account: string; event: string; period: Period; echo: Echo };

export interface RouteError {
  status: 400 | 404;
  message: string;
}

export const NOT_FOUND: RouteError = {
  status: 404,
  message: "not found: routes are /{track|funnels}[/{account}[/{event}[/{year}[/{month}[/{day}[/{hour}]]]]]]",
};

/** Segments below the prefix: track goes down to the hour (minutes), funnels to the day. */
const MAX_DEPTH: Record<Kind, number> = { track: 7, funnels: 6 };
const DIGITS = /^[0-9]{1,32}$/;
const NUMBER_NAMES = ["year", "month", "day", "hour"] as const;

/**
 * Parses the part of the path after the prefix ("" or "/..."), without the query string.
 * A single trailing slash is ignored; `02` and `2` name the same month, and the echo keeps `02`.
 */
export function parseRoute(path: string): Route | RouteError {
  if (path === "" || path === "/") return { level: "root", echo: echoOf([]) };
  if (path.charCodeAt(0) !== 0x2f) return NOT_FOUND;
  const raw = path.slice(1).split("/");
  if (raw.length > 1 && raw[raw.length - 1] === "") raw.pop();
  const type = raw[0];
  if (type !== "track" && type !== "funnels") return NOT_FOUND;
  if (raw.length > MAX_DEPTH[type]) return NOT_FOUND;

  const segs: string[] = [];
  for (const s of raw) {
    if (s === "") return NOT_FOUND;
    const decoded = decodeSegment(s);
    if (decoded === undefined) return { status: 400, message: "malformed percent-encoding in the path" };
    segs.push(decoded);
  }
  const kind: Kind = type;
  const echo = echoOf(segs);
  const [, account, event] = segs;
  if (account === undefined) return { level: "accounts", kind, echo };
  if (!NAME_PATTERN.test(account)) return badName("account");
  if (event === undefined) return { level: "events", kind, account, echo };
  if (!NAME_PATTERN.test(event)) return badName("event");
  if (segs.length === 3) return { level: "years", kind, account, event, echo };

  const nums: number[] = [];
  for (let i = 3; i < segs.length; i++) {
    const s = segs[i] as string;
    if (!DIGITS.test(s)) return { status: 400, message: `${NUMBER_NAMES[i - 3]} must be a whole number` };
    nums.push(Number(s));
  }
  const [year, month, day, hour] = nums as [number, number?, number?, number?];
  const period: Period = { year, month, day, hour };
  const invalid = periodError(period);
  if (invalid) return { status: 400, message: invalid };
  return { level: "period", kind, account, event, period, echo };
}

export function isRouteError(r: Route | RouteError): r is RouteError {
  return "status" in r;
}

function echoOf(segs: readonly string[]): Echo {
  return {
    type: segs[0] ?? "",
    account: segs[1] ?? "",
    event: segs[2] ?? "",
    year: segs[3] ?? "",
    month: segs[4] ?? "",
    day: segs[5] ?? "",
  };
}

function badName(what: string): RouteError {
  return { status: 400, message: `${what} must be ${NAME_RULE}` };
}

function decodeSegment(s: string): string | undefined {
  if (!s.includes("%")) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
