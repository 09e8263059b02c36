/**
 * Account and event names (DESIGN §2): 1-128 characters of `A-Z a-z 0-9 . _ -`, and not made only
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
