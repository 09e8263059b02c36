/**
 * Caps a funnel's statuses per answer (pure): the `first` statuses with the highest counts (ties:
 * by name), kept in the answer's order (by name). A funnel with 100,000 distinct statuses would
 * otherwise be a 4 MB answer; `total` still sums every status, so the rest is `total` minus the
 * statuses shown, and `statusCount` says how many there are.
 */
export const DEFAULT_STATUSES = 1_000;
export const MAX_STATUSES = 10_000;

export function topByCount<T extends { status: string; count: number }>(
  sortedByName: readonly T[],
  first: number,
): T[] {
  if (sortedByName.length <= first) return [...sortedByName];
  const keep = new Set(
    [...sortedByName]
      .sort((a, b) => b.count - a.count || (a.status < b.status ? -1 : a.status > b.status ? 1 : 0))
      .slice(0, first),
  );
  return sortedByName.filter((s) => keep.has(s));
}
