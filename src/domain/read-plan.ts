/**
 * The read plan of a window (pure): from its segments to the fewest counter hashes that give exact
 * counts, and the arithmetic that combines them.
 *
 * Each segment [start, end) is cut greedily into aligned UTC blocks, largest first: whole months,
 * then days, hours and minutes only where a boundary falls inside a UTC month, day or hour. A time
 * series reads each block as one field of its parent hash (a month is field M of the year hash, a
 * day field D of the month hash, an hour field h of the day hash, a minute field m of the hour hash),
 * so reads grow with the boundaries that cut a UTC day or hour, not with the window's length.
 * Funnels keep a hash of statuses per block (year, month, day, hour; no minutes): a run of more than
 * half a parent's children is read as the parent minus the other children, which the neighbouring
 * segment usually reads anyway.
 */

import type { TopPeriod } from "./types.js";

export type SeriesKind = "track" | "funnels";

/** A counter hash: a UTC year, month, day or hour (its fields are the next level down, or statuses). */
export interface HashRef {
  year: number;
  month?: number | undefined;
  day?: number | undefined;
  hour?: number | undefined;
}

/**
 * One term of a segment's sum: `count` consecutive fields of a read hash from `field` (track), or
 * a whole hash of statuses (funnels). A run of fields is one term, not one per field: a window of
 * 720 hours in a half-hour zone reads 43,200 minute fields, and its plan holds 1,440 terms.
 */
export interface Term {
  read: number;
  /** track: the first field (month, day, hour or minute); funnels: undefined (every status). */
  field: number | undefined;
  /** track: how many consecutive fields from `field`; funnels: 1. */
  count: number;
  sign: 1 | -1;
}

export interface ReadPlan {
  reads: HashRef[];
  /** Per segment, the terms whose sum is its count. */
  terms: Term[][];
  /** The earliest UTC hour whose minute counts are read, if any (they must still be kept). */
  oldestMinuteHour: number | undefined;
}

export class PlanError extends Error {
  override name = "PlanError";
}

export interface PlanOptions {
  kind: SeriesKind;
  now: number;
  /** How long minute counts are kept (ms). */
  minuteRetention: number;
  /** Says why a window needs minute data, for the error message (e.g. "Asia/Kolkata DAY boundaries"). */
  describe: string;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

type Level = "month" | "day" | "hour" | "minute";

/** `count` consecutive aligned UTC blocks of one level under one parent, the first at (year, month, day, hour, minute). */
interface Run {
  level: Level;
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  count: number;
}

type Block = Omit<Run, "count">;

/** Cuts [s, e) (whole minutes) into runs of aligned UTC blocks, largest first: runs never cross their parent. */
function runs(s: number, e: number): Run[] {
  const out: Run[] = [];
  let t = s;
  while (t < e) {
    const d = new Date(t);
    const year = d.getUTCFullYear();
    const month = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    const hour = d.getUTCHours();
    const minute = d.getUTCMinutes();
    const at = { year, month, day, hour, minute };
    if (day === 1 && hour === 0 && minute === 0 && Date.UTC(year, month, 1) <= e) {
      // Whole months, up to the year's end.
      let count = 0;
      let next = t;
      while (month + count <= 12 && Date.UTC(year, month - 1 + count + 1, 1) <= e) {
        count++;
        next = Date.UTC(year, month - 1 + count, 1);
      }
      out.push({ level: "month", ...at, count });
      t = next;
    } else if (hour === 0 && minute === 0 && t + DAY <= e) {
      const monthEnd = Date.UTC(year, month, 1);
      const count = Math.floor((Math.min(e, monthEnd) - t) / DAY);
      out.push({ level: "day", ...at, count });
      t += count * DAY;
    } else if (minute === 0 && t + HOUR <= e) {
      const count = Math.min(24 - hour, Math.floor((e - t) / HOUR));
      out.push({ level: "hour", ...at, count });
      t += count * HOUR;
    } else {
      const count = Math.min(60 - minute, Math.floor((e - t) / MINUTE));
      out.push({ level: "minute", ...at, count });
      t += count * MINUTE;
    }
  }
  return out;
}

/** The blocks of a run, one by one. */
function blocksOf(r: Run): Block[] {
  const out: Block[] = [];
  for (let i = 0; i < r.count; i++) {
    const b: Block = { level: r.level, year: r.year, month: r.month, day: r.day, hour: r.hour, minute: r.minute };
    if (r.level === "month") b.month += i;
    else if (r.level === "day") b.day += i;
    else if (r.level === "hour") b.hour += i;
    else b.minute += i;
    out.push(b);
  }
  return out;
}

/** A track run's parent hash, and the field of its first block there. */
function trackRun(r: Run): { ref: HashRef; first: number } {
  switch (r.level) {
    case "month":
      return { ref: { year: r.year }, first: r.month };
    case "day":
      return { ref: { year: r.year, month: r.month }, first: r.day };
    case "hour":
      return { ref: { year: r.year, month: r.month, day: r.day }, first: r.hour };
    case "minute":
      return { ref: { year: r.year, month: r.month, day: r.day, hour: r.hour }, first: r.minute };
  }
}

/** The UTC period of one block of a run: its own hash of funnel statuses, its own ranking set. */
function periodOf(r: Block): TopPeriod {
  switch (r.level) {
    case "month":
      return { year: r.year, month: r.month };
    case "day":
      return { year: r.year, month: r.month, day: r.day };
    case "hour":
      return { year: r.year, month: r.month, day: r.day, hour: r.hour };
    case "minute":
      return { year: r.year, month: r.month, day: r.day, hour: r.hour, minute: r.minute };
  }
}

/** For a funnel block: the hash of statuses that is exactly it. */
function funnelRef(b: Block): HashRef {
  if (b.level === "minute") throw new Error("funnels have no minute level");
  return periodOf(b);
}

const refKey = (r: HashRef) => `${r.year}:${r.month ?? ""}:${r.day ?? ""}:${r.hour ?? ""}`;

/** The parent of a funnel block and how many children it has (months of a year, days, hours). */
function siblings(b: Block): { parent: HashRef; children: Block[] } {
  const { year, month, day } = b;
  const base = { year, month: 1, day: 1, hour: 0, minute: 0 };
  if (b.level === "month") {
    return { parent: { year }, children: range(1, 12).map((m) => ({ ...base, level: "month", month: m })) };
  }
  if (b.level === "day") {
    const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
    return {
      parent: { year, month },
      children: range(1, days).map((d) => ({ ...base, level: "day", month, day: d })),
    };
  }
  return {
    parent: { year, month, day },
    children: range(0, 23).map((h) => ({ ...base, level: "hour", month, day, hour: h })),
  };
}

function range(first: number, last: number): number[] {
  const out: number[] = [];
  for (let i = first; i <= last; i++) out.push(i);
  return out;
}

export function planReads(segments: ReadonlyArray<{ start: number; end: number }>, opts: PlanOptions): ReadPlan {
  const reads: HashRef[] = [];
  const index = new Map<string, number>();
  const readOf = (ref: HashRef) => {
    const key = refKey(ref);
    let i = index.get(key);
    if (i === undefined) {
      i = reads.length;
      reads.push(ref);
      index.set(key, i);
    }
    return i;
  };
  const oldestMinuteHour = opts.now - opts.minuteRetention;
  let oldestRead: number | undefined;
  const terms = segments.map(({ start, end }) => {
    if (start % MINUTE !== 0 || end % MINUTE !== 0) {
      throw new PlanError(`${opts.describe} fall inside a UTC minute, which no stored count can split`);
    }
    const rs = runs(start, end);
    for (const r of rs) {
      if (r.level !== "minute") continue;
      if (opts.kind === "funnels") {
        throw new PlanError(
          `${opts.describe} fall inside UTC hours, and funnels are counted per UTC hour (no minutes): use an HOUR, DAY or MONTH window in a zone whose offset is whole hours`,
        );
      }
      const hourStart = Date.UTC(r.year, r.month - 1, r.day, r.hour);
      oldestRead = Math.min(oldestRead ?? hourStart, hourStart);
      if (hourStart <= oldestMinuteHour) {
        throw new PlanError(
          `${opts.describe} fall inside UTC hours, which needs minute counts; they are kept ${duration(opts.minuteRetention)} (--minute-retention), and this window needs them from ${new Date(hourStart).toISOString()}: ask for a window after ${new Date(oldestMinuteHour + HOUR - (oldestMinuteHour % HOUR)).toISOString()}`,
        );
      }
    }
    if (opts.kind === "track") {
      const terms: Term[] = [];
      for (const r of rs) {
        const { ref, first } = trackRun(r);
        const read = readOf(ref);
        terms.push({ read, field: first, count: r.count, sign: 1 });
      }
      return terms;
    }
    const bs = rs.flatMap(blocksOf);
    return funnelTerms(bs, readOf);
  });
  return { reads, terms, oldestMinuteHour: oldestRead };
}

/** Funnel blocks as hashes; a run of more than half a parent's children becomes parent minus the rest. */
function funnelTerms(bs: readonly Block[], readOf: (ref: HashRef) => number): Term[] {
  const out: Term[] = [];
  let i = 0;
  while (i < bs.length) {
    const b = bs[i] as Block;
    const { parent, children } = siblings(b);
    const parentKey = refKey(parent);
    let j = i;
    while (
      j < bs.length &&
      (bs[j] as Block).level === b.level &&
      refKey(siblings(bs[j] as Block).parent) === parentKey
    ) {
      j++;
    }
    const run = bs.slice(i, j);
    if (run.length * 2 > children.length) {
      const inRun = new Set(run.map((r) => refKey(funnelRef(r))));
      out.push({ read: readOf(parent), field: undefined, count: 1, sign: 1 });
      for (const c of children) {
        const ref = funnelRef(c);
        if (!inRun.has(refKey(ref))) out.push({ read: readOf(ref), field: undefined, count: 1, sign: -1 });
      }
    } else {
      for (const r of run) out.push({ read: readOf(funnelRef(r)), field: undefined, count: 1, sign: 1 });
    }
    i = j;
  }
  return out;
}

/** Counts of a time series' segments from the hashes read (in plan order). */
export function trackCounts(plan: ReadPlan, hashes: ReadonlyArray<ReadonlyMap<string, number>>): number[] {
  return plan.terms.map((terms) => {
    let sum = 0;
    for (const t of terms) {
      const hash = hashes[t.read];
      if (!hash) continue;
      const first = t.field as number;
      for (let f = first; f < first + t.count; f++) sum += t.sign * (hash.get(FIELDS[f] ?? String(f)) ?? 0);
    }
    return sum;
  });
}

/** Field names 0-60 (minutes, hours, days, months), made once rather than on every read. */
const FIELDS = Array.from({ length: 61 }, (_, i) => String(i));

/**
 * What a plan holds in memory, roughly (for the plan cache's byte budget): a hash reference
 * and a term are small objects (~64 and ~48 bytes with their array slot), a segment's terms an
 * array with room to grow (~200 bytes). Measured with the heap in use: 372 bytes per segment
 * for a 600-hour window in Asia/Kolkata (two terms per segment), estimated 360.
 */
export function planBytes(plan: ReadPlan): number {
  let terms = 0;
  for (const t of plan.terms) terms += t.length;
  return 64 + plan.reads.length * 64 + plan.terms.length * 200 + terms * 48;
}

/** Counts per status of a funnel's segments from the hashes read (in plan order); zero statuses left out. */
export function funnelCounts(
  plan: ReadPlan,
  hashes: ReadonlyArray<ReadonlyMap<string, number>>,
): Array<Map<string, number>> {
  return plan.terms.map((terms) => {
    const sum = new Map<string, number>();
    for (const t of terms) {
      for (const [status, n] of hashes[t.read] ?? []) sum.set(status, (sum.get(status) ?? 0) + t.sign * n);
    }
    for (const [status, n] of sum) if (n === 0) sum.delete(status);
    return sum;
  });
}

function duration(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY} days`;
  if (ms % HOUR === 0) return `${ms / HOUR} hours`;
  return `${Math.round(ms / MINUTE)} minutes`;
}

/** A ranking set of a top plan (docs/contract.md §9): a UTC period, added (1) or taken away (-1). */
export interface TopSet {
  period: TopPeriod;
  weight: 1 | -1;
}

export interface TopPlan {
  /** The event's ranking sets whose weighted sum is the window, per account. */
  sets: TopSet[];
  /** The rollup account's total over the window: a one-segment time-series plan. */
  total: ReadPlan;
}

/** A run's parent period, its first child's number, and how many children the parent has. */
function topParent(r: Run): { parent: TopPeriod; first: number; children: number } {
  switch (r.level) {
    case "month":
      return { parent: { year: r.year }, first: 1, children: 12 };
    case "day":
      return {
        parent: { year: r.year, month: r.month },
        first: 1,
        children: new Date(Date.UTC(r.year, r.month, 0)).getUTCDate(),
      };
    case "hour":
      return { parent: { year: r.year, month: r.month, day: r.day }, first: 0, children: 24 };
    case "minute":
      return { parent: { year: r.year, month: r.month, day: r.day, hour: r.hour }, first: 0, children: 60 };
  }
}

/**
 * The ranking plan of a window [from, to): the same UTC blocks as a series' (whole months from
 * month sets, days, hours and minutes only where a boundary cuts a UTC month, day or hour), read
 * as sorted sets; a run of more than half a parent's children is the parent's set minus the other
 * children's (a year for 7+ months, a month for 16+ days, ...), which reads fewer members. The
 * same minute-data rule as planReads (PlanError past the retention).
 */
export function planTop(from: number, to: number, opts: Omit<PlanOptions, "kind">): TopPlan {
  const total = planReads([{ start: from, end: to }], { ...opts, kind: "track" });
  const sets: TopSet[] = [];
  for (const r of runs(from, to)) {
    const { parent, first, children } = topParent(r);
    if (r.count * 2 <= children) {
      for (const b of blocksOf(r)) sets.push({ period: periodOf(b), weight: 1 });
      continue;
    }
    sets.push({ period: parent, weight: 1 });
    const start = r.level === "month" ? r.month : r.level === "day" ? r.day : r.level === "hour" ? r.hour : r.minute;
    const base: Block = { level: r.level, year: r.year, month: r.month, day: r.day, hour: r.hour, minute: r.minute };
    for (let i = first; i < first + children; i++) {
      if (i >= start && i < start + r.count) continue;
      const b: Block = { ...base, [r.level]: i };
      sets.push({ period: periodOf(b), weight: -1 });
    }
  }
  return { sets, total };
}
