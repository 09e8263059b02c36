/**
 * What a route answers, read through the store (the same one GraphQL reads): the children to
 * link to and the data. Listings come from the store's index, periods from one counter hash.
 * Each route costs one round trip: funnels, whose hashes hold statuses rather than the next
 * level's numbers, read the children's hashes in the same pipeline to learn which have data.
 */

import { KINDS, NAME_PATTERN } from "../domain/names.js";
import { periodError, segmentKeys, segmentRange } from "../domain/period.js";
import type { Counts, Kind, Period, StatsStore } from "../domain/types.js";
import type { Route } from "./route.js";
import { SEGMENT_NAMES } from "./segments.js";

export interface RouteAnswer {
  /** Canonical path below the prefix that the children hang from ("" at the root). */
  path: string;
  /** Direct children that have data, in order: names sorted, numbers ascending. */
  children: ReadonlyArray<string | number>;
  /** Segment → count (non-zero only), or null where the route has no data. */
  data: Counts | null;
}

/** Rejects when the store does (Redis down): the caller answers 503, never empty data. */
export function readRoute(store: StatsStore, route: Route): Promise<RouteAnswer> {
  switch (route.level) {
    case "root":
      return Promise.resolve({ path: "", children: KINDS, data: null });
    case "accounts": {
      const path = `/${route.kind}`;
      return store.accounts(route.kind).then((list) => ({ path, children: names(list), data: null }));
    }
    case "events": {
      const path = `/${route.kind}/${route.account}`;
      return store.events(route.kind, route.account).then((list) => ({ path, children: names(list), data: null }));
    }
    case "years": {
      const path = `/${route.kind}/${route.account}/${route.event}`;
      return store.years(route.kind, route.account, route.event).then((years) => ({
        path,
        children: years.filter((year) => periodError({ year }) === undefined),
        data: null,
      }));
    }
    case "period":
      return readPeriod(store, route.kind, route.account, route.event, route.period);
  }
}

function readPeriod(
  store: StatsStore,
  kind: Kind,
  account: string,
  event: string,
  period: Period,
): Promise<RouteAnswer> {
  const path = periodPath(kind, account, event, period);
  if (kind === "track") {
    return store.counts(kind, account, event, period).then((data) => ({
      path,
      // The hour route lists minutes: there is no level below it to link to.
      children: period.hour === undefined ? childrenFromFields(data, period) : [],
      data,
    }));
  }
  // Funnels stop at the day; a year or month learns its children from their own hashes.
  if (period.day !== undefined) {
    return store.counts(kind, account, event, period).then((data) => ({ path, children: [], data }));
  }
  const keys = segmentKeys(period);
  const requests = [{ kind, account, event, period }];
  for (const k of keys) requests.push({ kind, account, event, period: childPeriod(period, k) });
  return store.countsMany(requests).then(([data, ...childCounts]) => ({
    path,
    children: keys.filter((_, i) => (childCounts[i]?.size ?? 0) > 0),
    data: data ?? new Map(),
  }));
}

/**
 * A track hash's fields are the next level's numbers: the real periods among them, ascending.
 * Walking the level's range finds them in order without parsing or sorting the fields.
 */
function childrenFromFields(data: Counts, period: Period): number[] {
  const { first, last } = segmentRange(period);
  const children: number[] = [];
  for (let n = first; n <= last; n++) if (data.has(SEGMENT_NAMES[n] as string)) children.push(n);
  return children;
}

function childPeriod(p: Period, n: number): Period {
  if (p.month === undefined) return { year: p.year, month: n };
  if (p.day === undefined) return { year: p.year, month: p.month, day: n };
  return { year: p.year, month: p.month, day: p.day, hour: n };
}

function periodPath(kind: Kind, account: string, event: string, p: Period): string {
  let path = `/${kind}/${account}/${event}/${p.year}`;
  if (p.month !== undefined) path += `/${p.month}`;
  if (p.day !== undefined) path += `/${p.day}`;
  if (p.hour !== undefined) path += `/${p.hour}`;
  return path;
}

/** Names that could not be requested back (not matching the name rule) are not linked. */
function names(list: readonly string[]): string[] {
  return list.filter((n) => NAME_PATTERN.test(n));
}
