/**
 * Names (pure): what an account, event type and kind may be, once for the whole service. The
 * event bus drops an event whose names break the rule; the APIs answer BAD_USER_INPUT or 400;
 * the store never builds a key from one; a token file may not name one.
 */
import type { Kind } from "./types.js";

/**
 * Accounts and event types (docs/contract.md §2): 1-128 characters of `A-Z a-z 0-9 . _ -`, and not made only
 * of dots. `.` and `..` would pass the character rule, but a client or proxy that normalises URLs
 * turns REST links for them into links to other routes (`/track/..` is `/`), so they are refused
 * everywhere a name enters: ingest, GraphQL arguments, REST paths, flags, and keys read back.
 */
export const NAME_PATTERN = /^(?!\.+$)[A-Za-z0-9._-]{1,128}$/;

/** The rule in words, for error messages. */
export const NAME_RULE = "1-128 characters of A-Z a-z 0-9 . _ -, not only dots";

export function isName(value: string): boolean {
  return NAME_PATTERN.test(value);
}

/** Every kind of counter, in the order listings show them: time series, then funnels. */
export const KINDS: readonly Kind[] = ["track", "funnels"];

/** The rollup account: every increment is also made for it (readable only by all-accounts tokens). */
export const ROLLUP_ACCOUNT = "all";

/** The time series that a tracked event with `data.unq` also counts as. */
export const UNIQUE_EVENT = "unique";

/** The status of a funnel event that had none. */
export const UNKNOWN_STATUS = "unknown";
