/**
 * Time windows in any zone (docs/contract.md §7): `series` and `funnelSeries`, as queries and as live
 * subscriptions. Windows and plans are pure (src/domain); reading is src/read/series-read.ts.
 */
import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLResolveInfo,
  Kind,
  type SelectionSetNode,
} from "graphql";
import { PlanError, type SeriesKind } from "../../domain/read-plan.js";
import type { FunnelPointView, FunnelSeriesView, PointView, SeriesView } from "../../domain/series-view.js";
import { WindowError } from "../../domain/window.js";
import { MemoryExhausted } from "../../http/memory-budget.js";
import { type PlannedSeries, planRequest, readFunnelSeries, readSeries } from "../../read/series-read.js";
import type { GraphqlContext } from "../context.js";
import { checkAccess } from "./access.js";
import { builder } from "./builder.js";
import { chargePoints } from "./cost.js";
import { badUserInput, checkExact, checkName, memoryExhausted, operationEnded } from "./errors.js";
import { StatusCountRef } from "./funnel.js";
import { GranularityEnum } from "./stats.js";
import { type WindowArgs, windowArgs, windowRequest } from "./window-args.js";

const PointRef = builder.objectRef<PointView>("Point").implement({
  description: "One segment of a window in its zone, with its count.",
  fields: (t) => ({
    start: t.expose("start", { type: "DateTime", description: "the segment's first instant (UTC)" }),
    local: t.exposeString("local", {
      description:
        "the segment in the zone's wall time: 2026-04 (MONTH), 2026-04-05 (DAY), 2026-04-04T23:00-03:00 (HOUR), 2026-04-04T23:07-03:00 (MINUTE)",
    }),
    count: t.expose("count", { type: "Count" }),
  }),
});

const SeriesRef = builder.objectRef<SeriesView>("Series");
SeriesRef.implement({
  description: "A time series over a window of segments in a time zone, zero-filled, DST-correct and exact.",
  fields: (t) => ({
    account: t.exposeString("account"),
    event: t.exposeString("event"),
    granularity: t.field({ type: GranularityEnum, resolve: (s) => s.granularity }),
    timeZone: t.exposeString("timeZone"),
    from: t.expose("from", { type: "DateTime", description: "the window's start, aligned to its first segment" }),
    to: t.expose("to", {
      type: "DateTime",
      description: "the window's end (exclusive), aligned to its last segment's end",
    }),
    total: t.expose("total", { type: "Count", description: "the sum of the points" }),
    points: t.expose("points", { type: [PointRef], description: "every segment of the window in order, zero-filled" }),
    previous: t.field({
      type: SeriesRef,
      nullable: true,
      description: "the same number of segments just before this window (null inside a previous)",
      resolve: (s) => s.previous,
    }),
  }),
});

const FunnelPointRef = builder.objectRef<FunnelPointView>("FunnelPoint").implement({
  description: "One segment of a funnel window in its zone, with its counts per status.",
  fields: (t) => ({
    start: t.expose("start", { type: "DateTime", description: "the segment's first instant (UTC)" }),
    local: t.exposeString("local", { description: "the segment in the zone's wall time (see Point.local)" }),
    total: t.expose("total", { type: "Count" }),
    statuses: t.expose("statuses", { type: [StatusCountRef], description: "statuses with counts, sorted by status" }),
  }),
});

const FunnelSeriesRef = builder.objectRef<FunnelSeriesView>("FunnelSeries");
FunnelSeriesRef.implement({
  description: "Funnel events per status over a window of segments in a time zone (HOUR, DAY or MONTH).",
  fields: (t) => ({
    account: t.exposeString("account"),
    event: t.exposeString("event"),
    granularity: t.field({ type: GranularityEnum, resolve: (s) => s.granularity }),
    timeZone: t.exposeString("timeZone"),
    from: t.expose("from", { type: "DateTime" }),
    to: t.expose("to", { type: "DateTime" }),
    total: t.expose("total", { type: "Count" }),
    statuses: t.expose("statuses", {
      type: [StatusCountRef],
      description: "over the whole window, sorted by status",
    }),
    points: t.expose("points", { type: [FunnelPointRef] }),
    previous: t.field({
      type: FunnelSeriesRef,
      nullable: true,
      description: "the same number of segments just before this window (null inside a previous)",
      resolve: (s) => s.previous,
    }),
  }),
});

const seriesArgs = builder.args((t) => ({
  account: t.string({ required: true, description: "an account, or `all` for every account together" }),
  event: t.string({ required: true }),
  ...windowArgs(t),
}));

interface SeriesArgs extends WindowArgs {
  account: string;
  event: string;
}

/**
 * Validates the arguments and plans the reads; every client mistake is BAD_USER_INPUT saying why.
 * The window's points are charged against --max-query-cost before anything is planned (for
 * `last: N`, before its segments are even made), whatever fields are selected; planning a window
 * no cache holds is refused at the memory budget (MEMORY_EXHAUSTED); and nothing is planned for
 * an operation its client has already completed.
 */
export function planFromArgs(
  kind: SeriesKind,
  args: SeriesArgs,
  ctx: GraphqlContext,
  info: GraphQLResolveInfo,
): PlannedSeries {
  checkName("account", args.account);
  checkName("event", args.event);
  if (kind === "funnels" && args.granularity === "MINUTE") {
    throw badUserInput("funnelSeries takes HOUR, DAY or MONTH: funnels are counted per UTC hour, not per minute");
  }
  checkAccess(ctx.principal, args.account);
  if (!ctx.open()) throw operationEnded();
  const now = ctx.series.now();
  try {
    const withPrevious = selects(info, "previous");
    const window = windowRequest(args);
    return planRequest({ kind, account: args.account, event: args.event, window, withPrevious }, now, {
      ...ctx.series,
      charge: (points) => chargePoints(ctx.seriesCost, ctx.series.maxCost, info, points, withPrevious),
      admit: () =>
        ctx.series.memory.admit("series_plan", `planning a ${window.granularity} window of ${info.fieldName}`),
    });
  } catch (err) {
    if (err instanceof WindowError || err instanceof PlanError) throw badUserInput(err.message);
    if (err instanceof MemoryExhausted) throw memoryExhausted(err.message);
    throw err;
  }
}

/** True when the field being resolved selects `name` (directly, or through fragments). */
function selects(info: GraphQLResolveInfo, name: string): boolean {
  const inSet = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).some((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === name;
      if (s.kind === Kind.INLINE_FRAGMENT) return inSet(s.selectionSet);
      const fragment: FragmentDefinitionNode | undefined = info.fragments[s.name.value];
      return inSet(fragment?.selectionSet);
    });
  return info.fieldNodes.some((node: FieldNode) => inSet(node.selectionSet));
}

const exactSeries = (s: SeriesView): SeriesView => {
  checkExact(s, s.points);
  if (s.previous) checkExact(s.previous, s.previous.points);
  return s;
};
const exactFunnel = (s: FunnelSeriesView): FunnelSeriesView => {
  checkExact(s, [...s.statuses, ...s.points.flatMap((p) => p.statuses)]);
  if (s.previous) checkExact(s.previous, s.previous.statuses);
  return s;
};

builder.queryField("series", (t) =>
  t.field({
    type: SeriesRef,
    description:
      "An event's counts over a window (from/to, or the last N segments) in a time zone, by MONTH, DAY, HOUR or MINUTE.",
    args: seriesArgs,
    resolve: async (_root, args, ctx, info) =>
      exactSeries(await readSeries(ctx.store, planFromArgs("track", args, ctx, info))),
  }),
);

builder.queryField("funnelSeries", (t) =>
  t.field({
    type: FunnelSeriesRef,
    description: "A funnel event's counts per status over a window in a time zone, by MONTH, DAY or HOUR.",
    args: seriesArgs,
    resolve: async (_root, args, ctx, info) =>
      exactFunnel(await readFunnelSeries(ctx.store, planFromArgs("funnels", args, ctx, info))),
  }),
);

builder.subscriptionField("series", (t) =>
  t.field({
    type: SeriesRef,
    description:
      "The window's Series now, then a new one after every flush that changed it; with last: N it also slides when a new segment begins in the zone.",
    args: seriesArgs,
    subscribe: (_root, args, ctx, info) =>
      // Checked here, per subscriber (access included): the field's resolve is shared and has no context.
      ctx.liveSeries.watch(planFromArgs("track", args, ctx, info), args.last ?? undefined) as Promise<
        AsyncIterable<SeriesView>
      >,
    resolve: (s) => exactSeries(s),
  }),
);

builder.subscriptionField("funnelSeries", (t) =>
  t.field({
    type: FunnelSeriesRef,
    description:
      "The window's FunnelSeries now, then a new one after every flush that changed it; with last: N it also slides.",
    args: seriesArgs,
    subscribe: (_root, args, ctx, info) =>
      ctx.liveSeries.watch(planFromArgs("funnels", args, ctx, info), args.last ?? undefined) as Promise<
        AsyncIterable<FunnelSeriesView>
      >,
    resolve: (s) => exactFunnel(s),
  }),
);
