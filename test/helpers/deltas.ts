/** Deltas as the flusher hands them over, on 2013-09-05 at 16:00 UTC (the contract's example day). */
import type { FunnelDelta, TrackDelta } from "../../src/domain/types.js";

/** `count` pageviews of `account` in minute `minute` of 16:00. */
export const track = (account: string, count = 1, minute = 7): TrackDelta => ({
  kind: "track",
  account,
  event: "pageview",
  year: 2013,
  month: 9,
  day: 5,
  hour: 16,
  minute,
  count,
});

/** `count` orders of `account` that reached `status` in the 16:00 hour. */
export const funnel = (account: string, status: string, count = 1): FunnelDelta => ({
  kind: "funnels",
  account,
  event: "order",
  status,
  year: 2013,
  month: 9,
  day: 5,
  hour: 16,
  count,
});
