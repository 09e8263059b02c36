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

export type SeriesKind = "track" | "funnels";

/** A counter hash: a UTC year, month, day or hour (its fields are the next level down, or statuses). */
export interface HashRef {
  year: number;
  month?: number | undefined;
  day?: number | undefined;
  hour?: number | undefined;
}

/** One term of a segment's sum: a field of a read hash (track), or a whole hash of statuses (funnels). */
export interface Term {
  read: number;
  /** track: the field (month, day, hour or minute); funnels: undefined (every status). */
  field: string | undefined;
  sign: 1 | -1;
}

export interface ReadPlan {
  reads: HashRef[];
  /** Per segment, the terms whose sum is its count. */
  terms: Term[][];
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

interface Block {
  level: Level;
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** Cuts [s, e) (whole minutes) into aligned UTC blocks, largest first. */
function blocks(s: number, e: number): Block[] {
  const out: Block[] = [];
  let t = s;
  while (t < e) {
    const d = new Date(t);
    const year = d.getUTCFullYear();
    const month = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    const hour = d.getUTCHours();
    const minute = d.getUTCMinutes();
    const block = { year, month, day, hour, minute };
    const nextMonth = Date.UTC(year, month, 1);
    if (day === 1 && hour === 0 && minute === 0 && nextMonth <= e) {
      out.push({ level: "month", ...block });
      t = nextMonth;
    } else if (hour === 0 && minute === 0 && t + DAY <= e) {
      out.push({ level: "day", ...block });
      t += DAY;
    } else if (minute === 0 && t + HOUR <= e) {
      out.push({ level: "hour", ...block });
      t += HOUR;
    } else {
      out.push({ level: "minute", ...block });
      t += MINUTE;
    }
  }
  return out;
}

/** For a track block: the parent hash holding it, and its field there. */
function trackRead(b: Block): { ref: HashRef; field: number } {
  switch (b.level) {
    case "month":
      return { ref: { year: b.year }, field: b.month };
    case "day":
      return { ref: { year: b.year, month: b.month }, field: b.day };
    case "hour":
      return { ref: { year: b.year, month: b.month, day: b.day }, field: b.hour };
    case "minute":
      return { ref: { year: b.year, month: b.month, day: b.day, hour: b.hour }, field: b.minute };
  }
}

/** For a funnel block: the hash of statuses that is exactly it. */
function funnelRef(b: Block): HashRef {
  switch (b.level) {
    case "month":
      return { year: b.year, month: b.month };
    case "day":
      return { year: b.year, month: b.month, day: b.day };
    case "hour":
      return { year: b.year, month: b.month, day: b.day, hour: b.hour };
    case "minute":
      throw new Error("funnels have no minute level");
  }
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
  const terms = segments.map(({ start, end }) => {
    if (start % MINUTE !== 0 || end % MINUTE !== 0) {
      throw new PlanError(`${opts.describe} fall inside a UTC minute, which no stored count can split`);
    }
    const bs = blocks(start, end);
    for (const b of bs) {
      if (b.level !== "minute") continue;
      if (opts.kind === "funnels") {
        throw new PlanError(
          `${opts.describe} fall inside UTC hours, and funnels are counted per UTC hour (no minutes): use an HOUR, DAY or MONTH window in a zone whose offset is whole hours`,
        );
      }
      const hourStart = Date.UTC(b.year, b.month - 1, b.day, b.hour);
      if (hourStart <= oldestMinuteHour) {
        throw new PlanError(
          `${opts.describe} fall inside UTC hours, which needs minute counts; they are kept ${duration(opts.minuteRetention)} (--minute-retention), and this window needs them from ${new Date(hourStart).toISOString()}: ask for a window after ${new Date(oldestMinuteHour + HOUR - (oldestMinuteHour % HOUR)).toISOString()}`,
        );
      }
    }
    if (opts.kind === "track") {
      return bs.map((b): Term => {
        const { ref, field } = trackRead(b);
        return { read: readOf(ref), field: String(field), sign: 1 };
      });
    }
    return funnelTerms(bs, readOf);
  });
  return { reads, terms };
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
      out.push({ read: readOf(parent), field: undefined, sign: 1 });
      for (const c of children) {
        const ref = funnelRef(c);
        if (!inRun.has(refKey(ref))) out.push({ read: readOf(ref), field: undefined, sign: -1 });
      }
    } else {
      for (const r of run) out.push({ read: readOf(funnelRef(r)), field: undefined, sign: 1 });
    }
    i = j;
  }
  return out;
}

/** Counts of a time series' segments from the hashes read (in plan order). */
export function trackCounts(plan: ReadPlan, hashes: ReadonlyArray<ReadonlyMap<string, number>>): number[] {
  return plan.terms.map((terms) => {
    let sum = 0;
    for (const t of terms) sum += t.sign * (hashes[t.read]?.get(t.field as string) ?? 0);
    return sum;
  });
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
