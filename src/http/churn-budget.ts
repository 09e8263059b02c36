/**
 * How fast one client may start operations (--max-operation-rate): a token bucket per graphql-ws
 * connection, and per remote address for SSE subscriptions (each one its own HTTP request).
 * Subscribing and completing at once costs the server a window's planning and a snapshot read
 * each time, and the limit on operations running at once does not see operations that were
 * completed before they ran: so the starts themselves are counted. A client may start `burst`
 * operations at once and `ratePerSecond` a second after that; one more is refused with a clear
 * error (GraphQL RATE_LIMITED) at once, without being planned, so the client over its budget is
 * slowed and nobody else is.
 */
export interface ChurnBudget {
  /** True when one more operation may start now (and counts it); false when over the rate. */
  take(): boolean;
}

export interface ChurnOptions {
  ratePerSecond: number;
  burst: number;
}

export function createChurnBudget(opts: ChurnOptions, now: () => number = Date.now): ChurnBudget {
  let tokens = opts.burst;
  let at = now();
  return {
    take() {
      const t = now();
      tokens = Math.min(opts.burst, tokens + ((t - at) / 1000) * opts.ratePerSecond);
      at = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

/** One budget per key (a remote address), for at most `maxKeys` keys: the least recently used goes. */
export interface KeyedChurnBudgets {
  take(key: string): boolean;
  readonly size: number;
}

export function createKeyedChurnBudgets(opts: ChurnOptions, maxKeys = 10_000): KeyedChurnBudgets {
  const budgets = new Map<string, ChurnBudget>();
  return {
    take(key) {
      let b = budgets.get(key);
      if (b) budgets.delete(key);
      else {
        b = createChurnBudget(opts);
        if (budgets.size >= maxKeys) budgets.delete(budgets.keys().next().value as string);
      }
      budgets.set(key, b);
      return b.take();
    },
    get size() {
      return budgets.size;
    },
  };
}

/** What a client over its rate is told (GraphQL `extensions.code` RATE_LIMITED). */
export function churnMessage(opts: ChurnOptions, per: string): string {
  return `too many operations started on this ${per}: at most ${opts.burst} at once and ${opts.ratePerSecond} a second after that (--max-operation-rate); wait before subscribing again`;
}
