/**
 * What a flushed batch changed (pure): the periods whose counts moved, and the increments
 * themselves. Computed once per batch on the receiving side, then shared by every subscriber.
 */
import { periodsContaining } from "./period.js";
import type { Delta, Kind, Period } from "./types.js";

/** One flushed delta as clients see it: `count` more `event`s for `account` in the minute (or hour) at `at`. */
export interface Increment {
  account: string;
  event: string;
  /** The funnel status, for funnel events; undefined for time series. */
  status: string | undefined;
  /** Start of the UTC minute (time series) or UTC hour (funnels, whose finest level is the hour). */
  at: Date;
  count: number;
}

export interface PeriodRef {
  kind: Kind;
  account: string;
  event: string;
  period: Period;
}

/** A stable identity for a (kind, account, event, period): names never contain NUL. */
export function periodKey(ref: PeriodRef): string {
  const { kind, account, event, period: p } = ref;
  return `${kind}\0${account}\0${event}\0${p.year}\0${p.month ?? ""}\0${p.day ?? ""}\0${p.hour ?? ""}`;
}

/** Every period a batch changed, by periodKey: year, month, day, hour for time series; year, month, day for funnels. */
export function changedPeriods(deltas: readonly Delta[]): Map<string, PeriodRef> {
  const changed = new Map<string, PeriodRef>();
  for (const d of deltas) {
    const periods = periodsContaining(d.kind === "track" ? d : { ...d, hour: 0 });
    // Funnels are kept per day: they have no hour period.
    if (d.kind === "funnels") periods.pop();
    for (const period of periods) {
      const ref: PeriodRef = { kind: d.kind, account: d.account, event: d.event, period };
      const key = periodKey(ref);
      if (!changed.has(key)) changed.set(key, ref);
    }
  }
  return changed;
}

export function incrementsOf(deltas: readonly Delta[]): Increment[] {
  return deltas.map((d) => ({
    account: d.account,
    event: d.event,
    status: d.kind === "funnels" ? d.status : undefined,
    at: new Date(
      d.kind === "track"
        ? Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute)
        : Date.UTC(d.year, d.month - 1, d.day, d.hour),
    ),
    count: d.count,
  }));
}
