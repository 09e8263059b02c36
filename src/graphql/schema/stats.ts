import type { Granularity } from "../../domain/period.js";
import type { Segment, StatsView } from "../../domain/views.js";
import { statsView } from "../../domain/views.js";
import { checkAccess } from "./access.js";
import { builder } from "./builder.js";
import { admitLive, checkExact, checkSeriesArgs } from "./errors.js";

export const GranularityEnum = builder.enumType("Granularity", {
  description: "The unit of a period's segments.",
  values: {
    MONTH: { description: "the 12 months of a year" },
    DAY: { description: "the 28-31 days of a month" },
    HOUR: { description: "the 24 hours of a day (UTC in stats; the zone's local hours in series)" },
    MINUTE: { description: "the 60 minutes of an hour (minute counts are kept 30 days by default)" },
  } as const satisfies Record<Granularity, { description: string }>,
});

const SegmentRef = builder.objectRef<Segment>("Segment").implement({
  description: "One unit of a period: a month (1-12), day (1-31), hour (0-23) or minute (0-59), with its count.",
  fields: (t) => ({
    key: t.exposeInt("key", { description: "month 1-12, day 1-31, hour 0-23 or minute 0-59" }),
    count: t.expose("count", { type: "Count" }),
  }),
});

export const StatsRef = builder.objectRef<StatsView>("Stats").implement({
  description: "A time series for one account, event and period: a year, a month, a day or an hour (UTC).",
  fields: (t) => ({
    account: t.exposeString("account"),
    event: t.exposeString("event"),
    year: t.exposeInt("year"),
    month: t.exposeInt("month", { nullable: true }),
    day: t.exposeInt("day", { nullable: true }),
    hour: t.exposeInt("hour", { nullable: true }),
    granularity: t.field({ type: GranularityEnum, resolve: (s) => s.granularity }),
    total: t.expose("total", { type: "Count", description: "the sum of the segments" }),
    segments: t.expose("segments", {
      type: [SegmentRef],
      description: "every segment of the period in order, zero-filled: 12 months, 28-31 days, 24 hours or 60 minutes",
    }),
  }),
});

const statsArgs = builder.args((t) => ({
  account: t.string({ required: true, description: "an account, or `all` for every account together" }),
  event: t.string({ required: true, description: "an event type, e.g. pageview or unique" }),
  year: t.int({ required: true }),
  month: t.int({ description: "1-12; narrows the period to a month (segments are days)" }),
  day: t.int({ description: "1-31; needs month; narrows to a day (segments are hours)" }),
  hour: t.int({ description: "0-23 UTC; needs day; narrows to an hour (segments are minutes)" }),
}));

builder.queryField("stats", (t) =>
  t.field({
    type: StatsRef,
    description: "Counts of an event for an account over a year, month, day or hour, zero-filled.",
    args: statsArgs,
    resolve: async (_root, args, { store, principal }) => {
      const period = checkSeriesArgs(args);
      checkAccess(principal, args.account);
      const counts = await store.counts("track", args.account, args.event, period);
      const stats = statsView(args.account, args.event, period, counts);
      return checkExact(stats, stats.segments);
    },
  }),
);

builder.subscriptionField("stats", (t) =>
  t.field({
    type: StatsRef,
    description: "The period's Stats now, then a fresh Stats after every flush that changed it.",
    args: statsArgs,
    subscribe: (_root, args, { live, principal, series }) => {
      const period = checkSeriesArgs(args);
      // Here, per subscriber: the field's resolve is shared between subscribers and has no context.
      checkAccess(principal, args.account);
      admitLive(series.memory, "a new live stats subscription");
      return live.stats(args.account, args.event, period);
    },
    resolve: (stats) => checkExact(stats, stats.segments),
  }),
);
