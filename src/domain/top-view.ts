/**
 * What a client sees of a ranking (pure, docs/contract.md §9): the window, the rollup's total over it, how
 * many accounts counted, the first of them by count (ties: by name), and the rest as `others`.
 */
import { type ReadPlan, trackCounts } from "./read-plan.js";
import type { Granularity } from "./segments.js";

export interface AccountCountView {
  account: string;
  count: number;
}

export interface TopView {
  event: string;
  granularity: Granularity;
  timeZone: string;
  from: Date;
  to: Date;
  total: number;
  accountCount: number;
  accounts: AccountCountView[];
  others: number;
}

export const DEFAULT_TOP = 10;
export const MAX_TOP = 100;

export function topView(
  head: Pick<TopView, "event" | "granularity" | "timeZone" | "from" | "to">,
  totalPlan: ReadPlan,
  totals: ReadonlyArray<ReadonlyMap<string, number>>,
  ranked: { accountCount: number; accounts: AccountCountView[] },
): TopView {
  const total = trackCounts(totalPlan, totals)[0] ?? 0;
  let listed = 0;
  for (const a of ranked.accounts) listed += a.count;
  return { ...head, total, accountCount: ranked.accountCount, accounts: ranked.accounts, others: total - listed };
}
