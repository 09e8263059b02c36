/**
 * Top accounts (docs/contract.md §9): an event's accounts ranked by count over a window of §7 in any zone,
 * exact, as a query and as a live subscription. Windows and plans are pure (src/domain); reading
 * is src/read/top-read.ts, the live side src/live/top-feed.ts.
 */
import type { GraphQLResolveInfo } from "graphql";
import { PlanError } from "../../domain/read-plan.js";
import { type AccountCountView, DEFAULT_TOP, MAX_TOP, type TopView } from "../../domain/top-view.js";
import { WindowError } from "../../domain/window.js";
import { type PlannedTop, planTopRequest, readTop } from "../../read/top-read.js";
import type { GraphqlContext } from "../context.js";
import { checkAllAccounts } from "./access.js";
import { builder } from "./builder.js";
import { chargeItems } from "./cost.js";
import { admitLive, badUserInput, checkExact, checkName, orStoreTooOld } from "./errors.js";
import { GranularityEnum } from "./stats.js";
import { type WindowArgs, windowArgs, windowRequest } from "./window-args.js";

const AccountCountRef = builder.objectRef<AccountCountView>("AccountCount").implement({
  description: "An account and its count over a window.",
  fields: (t) => ({
    account: t.exposeString("account"),
    count: t.expose("count", { type: "Count" }),
  }),
});

const TopRef = builder.objectRef<TopView>("Top").implement({
  description: "An event's accounts ranked by count over a window in a time zone, exact.",
  fields: (t) => ({
    event: t.exposeString("event"),
    granularity: t.field({ type: GranularityEnum, resolve: (v) => v.granularity }),
    timeZone: t.exposeString("timeZone"),
    from: t.expose("from", { type: "DateTime", description: "the window's start, aligned as in series" }),
    to: t.expose("to", { type: "DateTime", description: "the window's end (exclusive), aligned as in series" }),
    total: t.expose("total", { type: "Count", description: "the rollup account `all`'s total over the window" }),
    accountCount: t.exposeInt("accountCount", { description: "accounts with a count > 0 in the window" }),
    accounts: t.expose("accounts", {
      type: [AccountCountRef],
      description: "at most `first` accounts, count descending, then name ascending; never `all`",
    }),
    others: t.expose("others", { type: "Count", description: "total minus the listed accounts' counts" }),
  }),
});

const topArgs = builder.args((t) => ({
  event: t.string({ required: true, description: "a tracked event type, e.g. pageview or unique" }),
  ...windowArgs(t),
  first: t.int({ defaultValue: DEFAULT_TOP, description: `how many accounts to list, 1-${MAX_TOP}` }),
}));

interface TopArgs extends WindowArgs {
  event: string;
  first?: number | null | undefined;
}

/** Validates the arguments and plans the reads; every client mistake is BAD_USER_INPUT saying why. */
function planFromArgs(args: TopArgs, ctx: GraphqlContext, info: GraphQLResolveInfo): PlannedTop {
  checkName("event", args.event);
  const first = args.first ?? DEFAULT_TOP;
  if (!Number.isInteger(first) || first < 1 || first > MAX_TOP) {
    throw badUserInput(`first must be between 1 and ${MAX_TOP}, got ${first}`);
  }
  checkAllAccounts(ctx.principal, "top");
  try {
    const planned = planTopRequest(
      { event: args.event, first, window: windowRequest(args) },
      ctx.series.now(),
      ctx.series,
    );
    chargeItems(ctx.seriesCost, ctx.series.maxCost, info, "accounts", first);
    return planned;
  } catch (err) {
    if (err instanceof WindowError || err instanceof PlanError) throw badUserInput(err.message);
    throw err;
  }
}

const exactTop = (v: TopView): TopView => checkExact(v, [...v.accounts, { count: v.others }]);

builder.queryField("top", (t) =>
  t.field({
    type: TopRef,
    description:
      "An event's top accounts over a window (from/to, or the last N segments) in a time zone: exact, from pre-aggregated rankings. Needs a token that may read every account.",
    args: topArgs,
    resolve: async (_root, args, ctx, info) =>
      exactTop(await orStoreTooOld(readTop(ctx.store, planFromArgs(args, ctx, info)))),
  }),
);

builder.subscriptionField("top", (t) =>
  t.field({
    type: TopRef,
    description:
      "The ranking now, then a new one after flushes that changed it (at most one a second); with last: N it also slides when a new segment begins in the zone.",
    args: topArgs,
    subscribe: (_root, args, ctx, info) => {
      // Checked here, per subscriber (access included): the field's resolve is shared and has no context.
      const planned = planFromArgs(args, ctx, info);
      admitLive(ctx.series.memory, "a new live top subscription");
      return orStoreTooOld(ctx.liveTop.watch(planned, args.last ?? undefined)) as Promise<AsyncIterable<TopView>>;
    },
    resolve: (v) => exactTop(v),
  }),
);
