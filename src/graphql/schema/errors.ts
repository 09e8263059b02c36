/** Expected failures: a bad argument becomes a GraphQL error with `extensions.code` BAD_USER_INPUT. */
import { GraphQLError } from "graphql";
import { NAME_PATTERN, NAME_RULE } from "../../domain/names.js";
import { periodError } from "../../domain/period.js";
import type { Period } from "../../domain/types.js";
import { type MemoryBudget, MemoryExhausted } from "../../http/memory-budget.js";
import { StoreLacksCommand } from "../../store/errors.js";

export function badUserInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } });
}

/** The heap is at --max-memory: this piece of work was refused (the message says so); retrying later may work. */
export function memoryExhausted(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "MEMORY_EXHAUSTED" } });
}

/** Refuses a new live subscription (MEMORY_EXHAUSTED) while the heap is at --max-memory. */
export function admitLive(memory: MemoryBudget, what: string): void {
  try {
    memory.admit("live_subscription", what);
  } catch (err) {
    if (err instanceof MemoryExhausted) throw memoryExhausted(err.message);
    throw err;
  }
}

/**
 * Passes on a store that lacks a command (`top` on Redis < 6.2) as REDIS_TOO_OLD with what it
 * needs, instead of the masked "Unexpected error."; anything else is rethrown as it is.
 */
export async function orStoreTooOld<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof StoreLacksCommand)
      throw new GraphQLError(err.message, { extensions: { code: "REDIS_TOO_OLD" } });
    throw err;
  }
}

/** The client completed the operation before it ran: nothing is planned or read for it (nobody sees this). */
export function operationEnded(): GraphQLError {
  return new GraphQLError("the operation was completed by its client before it ran", {
    extensions: { code: "OPERATION_ENDED" },
  });
}

/** Throws BAD_USER_INPUT unless `value` is a name as the event bus accepts it. */
export function checkName(argument: string, value: string): void {
  if (!NAME_PATTERN.test(value)) {
    throw badUserInput(`${argument} must be ${NAME_RULE} (got ${JSON.stringify(value)})`);
  }
}

/** Throws BAD_USER_INPUT unless account and event are names and the rest a real period; returns the period. */
export function checkSeriesArgs(args: {
  account: string;
  event: string;
  year: number;
  month?: number | null | undefined;
  day?: number | null | undefined;
  hour?: number | null | undefined;
}): Period {
  checkName("account", args.account);
  checkName("event", args.event);
  return checkPeriod(args);
}

/** Throws BAD_USER_INPUT unless the arguments name a real period. */
export function checkPeriod(args: {
  year: number;
  month?: number | null | undefined;
  day?: number | null | undefined;
  hour?: number | null | undefined;
}): Period {
  const period: Period = {
    year: args.year,
    month: args.month ?? undefined,
    day: args.day ?? undefined,
    hour: args.hour ?? undefined,
  };
  const error = periodError(period);
  if (error) throw badUserInput(error);
  return period;
}

/**
 * Counts travel as JSON numbers, exact up to 2^53-1. A Redis counter beyond that (or a total that
 * sums past it) is reported as such, never sent rounded.
 */
export function checkExact<V extends { total: number }>(view: V, parts: ReadonlyArray<{ count: number }>): V {
  const inexact = [view.total, ...parts.map((p) => p.count)].find((n) => !Number.isSafeInteger(n));
  if (inexact !== undefined) {
    throw new GraphQLError(`a count (${inexact}) is beyond 2^53-1 and cannot be sent exactly`, {
      extensions: { code: "COUNT_NOT_EXACT" },
    });
  }
  return view;
}
