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

builder.scalarType("DateTime", {
  description: "A point in time, as an ISO 8601 string in UTC, e.g. 2013-09-05T16:07:00.000Z.",
  serialize: (value) => value.toISOString(),
  parseValue(value) {
    const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(ms)) throw badUserInput(`DateTime must be an ISO 8601 string, got ${JSON.stringify(value)}`);
    return new Date(ms);
  },
  parseLiteral(node) {
    const ms = node.kind === Kind.STRING ? Date.parse(node.value) : Number.NaN;
    if (Number.isNaN(ms)) throw badUserInput("DateTime must be an ISO 8601 string");
    return new Date(ms);
  },
});
