/**
 * Pages of a sorted name listing (pure). A page is the names after `after` (exclusive; the last
 * name of the previous page), starting with `prefix`, at most `first` of them. Found by binary
 * search: a page costs O(log n + first), however long the listing, so asking for pages again and
 * again is cheap once the listing is read.
 */
export interface PageRequest {
  first: number;
  after?: string | undefined;
  prefix?: string | undefined;
}

/** Default and largest page of the GraphQL listings (`accounts`, `events`). */
export const DEFAULT_PAGE = 1_000;
export const MAX_PAGE = 10_000;

/** Index of the first name ≥ `name` (names sorted by code unit, as Array.prototype.sort does). */
function lowerBound(sorted: readonly string[], name: string, strict: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid] as string;
    if (v < name || (strict && v === name)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function pageOf(sorted: readonly string[], req: PageRequest): string[] {
  const prefix = req.prefix ?? "";
  let start = lowerBound(sorted, prefix, false);
  if (req.after !== undefined) start = Math.max(start, lowerBound(sorted, req.after, true));
  const page: string[] = [];
  for (let i = start; i < sorted.length && page.length < req.first; i++) {
    const name = sorted[i] as string;
    if (!name.startsWith(prefix)) break;
    page.push(name);
  }
  return page;
}

/** One page over several sorted listings taken together (each name once). */
export function pageOfUnion(lists: ReadonlyArray<readonly string[]>, req: PageRequest): string[] {
  const merged = new Set<string>();
  for (const list of lists) for (const name of pageOf(list, req)) merged.add(name);
  return [...merged].sort().slice(0, req.first);
}
