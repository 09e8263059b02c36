/**
 * JSONP callback names (pure). The old service reflected `?callback=` as it came, so
 * `?callback=<script>...` ran in the caller's page; only a plain identifier path is accepted now.
 */

export const MAX_CALLBACK_LENGTH = 128;
const CALLBACK = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;

export const CALLBACK_ERROR = `callback must be a JavaScript identifier path like cb or jQuery123.done, at most ${MAX_CALLBACK_LENGTH} characters`;

export function isValidCallback(name: string): boolean {
  return name.length <= MAX_CALLBACK_LENGTH && CALLBACK.test(name);
}

/**
 * The `callback` query parameter (the first one), "" when absent or empty: an empty callback
 * means plain JSON, as it did for the old service.
 */
export function callbackParam(query: string): string {
  if (query === "") return "";
  return new URLSearchParams(query).get("callback") ?? "";
}

/** The body never starts with bytes the caller chose (the Rosetta Flash attack relied on that). */
export function jsonpWrap(callback: string): { open: string; close: string } {
  return { open: `/**/${callback}(`, close: ")" };
}
