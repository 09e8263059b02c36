import { GraphQLError, Kind } from "graphql";
import { builder } from "./builder.js";
import { badUserInput } from "./errors.js";

const exact = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n);

builder.scalarType("Count", {
  description:
    "An exact integer count up to 2^53-1 (9007199254740991), sent as a JSON number. GraphQL's Int stops at 2^31-1, which busy counters pass.",
  serialize(value) {
    if (!exact(value)) throw new GraphQLError(`count ${String(value)} cannot be represented exactly (beyond 2^53-1)`);
    return value;
  },
  parseValue(value) {
    if (!exact(value)) throw badUserInput(`Count must be an integer up to 2^53-1, got ${JSON.stringify(value)}`);
    return value;
  },
  parseLiteral(node) {
    const n = node.kind === Kind.INT ? Number(node.value) : Number.NaN;
    if (!exact(n)) throw badUserInput("Count must be an integer literal up to 2^53-1");
    return n;
  },
});

/** ISO 8601 date and time with `Z` or an offset: an instant, never a wall time in some unsaid zone. */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

function parseInstant(value: unknown): Date {
  const m = typeof value === "string" ? INSTANT.exec(value) : null;
  // Date.parse rolls 2026-02-30 over to March: a date that does not exist is refused.
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  const real = mo >= 1 && mo <= 12 && d >= 1 && d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
  const ms = m && real ? Date.parse(value as string) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw badUserInput(
      `DateTime must be an ISO 8601 date and time with Z or an offset, e.g. 2026-04-05T03:00:00Z or 2026-04-04T23:00:00-03:00; got ${JSON.stringify(value)}`,
    );
  }
  return new Date(ms);
}

builder.scalarType("DateTime", {
  description:
    "A point in time. Sent as an ISO 8601 string in UTC (2013-09-05T16:07:00.000Z); accepted with Z or an offset (2026-04-04T23:00:00-03:00).",
  serialize: (value) => value.toISOString(),
  parseValue: parseInstant,
  parseLiteral: (node) => parseInstant(node.kind === Kind.STRING ? node.value : undefined),
});
