/**
 * What an event counts as (pure), following the old service: tracked types become time series
 * (plus `unique` when `data.unq` says so), funnel types count per status (`unknown` when empty),
 * and every increment is made for the event's account and for the rollup account `all`.
 */
import { ROLLUP_ACCOUNT, UNIQUE_EVENT, UNKNOWN_STATUS } from "../domain/names.js";
import type { Bucket } from "./bucket.js";
import type { Coalescer } from "./coalesce.js";
import type { WireEvent } from "./decode.js";

export interface Classification {
  trackEvents: ReadonlySet<string>;
  funnelEvents: ReadonlySet<string>;
}

/** Adds the event's increments to the coalescer. Returns false when its type is tracked as neither. */
export function accumulate(into: Coalescer, ev: WireEvent, bucket: Bucket, rules: Classification): boolean {
  const track = rules.trackEvents.has(ev.type);
  const funnel = rules.funnelEvents.has(ev.type);
  if (!track && !funnel) return false;
  const accounts = ev.account === ROLLUP_ACCOUNT ? [ROLLUP_ACCOUNT] : [ev.account, ROLLUP_ACCOUNT];
  for (const account of accounts) {
    if (track) {
      into.addTrack(account, ev.type, bucket);
      if (ev.unique) into.addTrack(account, UNIQUE_EVENT, bucket);
    }
    if (funnel) into.addFunnel(account, ev.type, ev.status || UNKNOWN_STATUS, bucket);
  }
  into.countEvent();
  return true;
}
