/**
 * A model of a collector's traffic (pure, seeded): pageviews spread over N accounts (a few big, many
 * small), about 10% of them unique visitors, and orders that move through statuses, some abandoned
 * on the way. The rate follows a daily rhythm: quiet at night (UTC), busiest mid-afternoon.
 * Events are the JSON part of a bus message (docs/contract.md §2); `toMessage` adds the topic word.
 */

export interface SimEvent {
  type: "pageview" | "order";
  time: string;
  data: { account: string; unq?: "1" | "0"; status?: string; order?: string };
}

export interface SimulationOptions {
  accounts: number;
  /** Seed of the pseudo-random sequence: the same seed gives the same events. */
  seed?: number;
}

const NAMES = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka", "tyrell", "cyberdyne"];
/** The path of an order; each step is reached by this share of the orders at the step before. */
const ORDER_STEPS: ReadonlyArray<readonly [string, number]> = [
  ["cart", 1],
  ["checkout", 0.6],
  ["paid", 0.8],
  ["shipped", 0.95],
];
export const UNIQUE_SHARE = 0.1;
export const ORDER_SHARE = 0.08;

export function accountNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => (i < NAMES.length ? NAMES[i] : `shop-${i + 1}`) as string);
}

/**
 * The daily rhythm: the rate at a moment as a multiple of the day's average (the mean over a UTC day
 * is 1): 0.4 around 03:00 UTC, 1.6 around 15:00 UTC.
 */
export function dailyShape(ms: number): number {
  const dayFraction = (ms % 86_400_000) / 86_400_000;
  return 1 + 0.6 * Math.sin(2 * Math.PI * (dayFraction - 0.375));
}

/** mulberry32: small, fast and good enough to make traffic look real; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface Simulation {
  readonly accounts: readonly string[];
  /** The next event, stamped `atMs`. */
  next(atMs: number): SimEvent;
}

export function createSimulation(opts: SimulationOptions): Simulation {
  const random = seededRandom(opts.seed ?? 1);
  const accounts = accountNames(Math.max(1, opts.accounts));
  // Zipf-like weights: the first account gets the most traffic, the tail a little each.
  const weights = accounts.map((_, i) => 1 / (i + 1));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const pickAccount = () => {
    let r = random() * totalWeight;
    for (const [i, w] of weights.entries()) {
      r -= w;
      if (r <= 0) return accounts[i] as string;
    }
    return accounts[accounts.length - 1] as string;
  };
  /** Orders under way: id, account and the index of the status they reached. */
  const open: Array<{ id: string; account: string; step: number }> = [];
  let orderSeq = 0;

  const nextOrder = (time: string): SimEvent => {
    // Advance an open order when there are enough of them; otherwise a new cart.
    if (open.length > 0 && random() < open.length / (open.length + 4)) {
      const i = Math.floor(random() * open.length);
      const order = open[i] as { id: string; account: string; step: number };
      open.splice(i, 1);
      const step = ORDER_STEPS[order.step + 1];
      if (step && random() < step[1]) {
        order.step++;
        if (order.step + 1 < ORDER_STEPS.length) open.push(order);
        return { type: "order", time, data: { account: order.account, status: step[0], order: order.id } };
      }
      // Abandoned: falls through to a new cart, so every call still yields an event.
    }
    const order = { id: `o${++orderSeq}`, account: pickAccount(), step: 0 };
    if (open.length < 1_000) open.push(order);
    return { type: "order", time, data: { account: order.account, status: "cart", order: order.id } };
  };

  return {
    accounts,
    next(atMs) {
      const time = new Date(atMs).toISOString();
      if (random() < ORDER_SHARE) return nextOrder(time);
      return { type: "pageview", time, data: { account: pickAccount(), unq: random() < UNIQUE_SHARE ? "1" : "0" } };
    },
  };
}

/** The single-frame wire form: `<topic> <json>`. */
export function toMessage(event: SimEvent): string {
  return `${event.type} ${JSON.stringify(event)}`;
}
