import { DEFAULT_STATUSES, MAX_STATUSES, topByCount } from "../../domain/top.js";
import type { FunnelView, StatusCount } from "../../domain/views.js";
import { funnelView } from "../../domain/views.js";
import { checkAccess } from "./access.js";
import { builder } from "./builder.js";
import { admitLive, badUserInput, checkExact, checkSeriesArgs } from "./errors.js";

export const StatusCountRef = builder.objectRef<StatusCount>("StatusCount").implement({
  description: "How many funnel events had one status (`unknown` when they had none).",
  fields: (t) => ({
    status: t.exposeString("status"),
    count: t.expose("count", { type: "Count" }),
  }),
});

const FunnelRef = builder.objectRef<FunnelView>("Funnel").implement({
  description:
    "Funnel events (e.g. orders) per status for one account, event and period: a year, a month or a day (UTC).",
  fields: (t) => ({
    account: t.exposeString("account"),
    event: t.exposeString("event"),
    year: t.exposeInt("year"),
    month: t.exposeInt("month", { nullable: true }),
    day: t.exposeInt("day", { nullable: true }),
    total: t.expose("total", { type: "Count", description: "the sum over every status" }),
    statuses: t.field({
      type: [StatusCountRef],
      description:
        "the statuses that occurred in the period, sorted by name: at most `first` of them, those with the " +
        "highest counts (`statusCount` says how many there are; `total` minus their sum is the rest)",
      args: {
        first: t.arg.int({ defaultValue: DEFAULT_STATUSES, description: `1-${MAX_STATUSES}` }),
      },
      resolve: (funnel, { first }) => {
        const n = first ?? DEFAULT_STATUSES;
        if (!Number.isInteger(n) || n < 1 || n > MAX_STATUSES) {
          throw badUserInput(`statuses(first:) must be 1-${MAX_STATUSES} (got ${n})`);
        }
        return topByCount(funnel.statuses, n);
      },
    }),
    statusCount: t.int({
      description: "how many distinct statuses occurred in the period",
      resolve: (funnel) => funnel.statuses.length,
    }),
  }),
});

const funnelArgs = builder.args((t) => ({
  account: t.string({ required: true, description: "an account, or `all` for every account together" }),
  event: t.string({ required: true, description: "a funnel event type, e.g. order" }),
  year: t.int({ required: true }),
  month: t.int({ description: "1-12; narrows the period to a month" }),
  day: t.int({ description: "1-31; needs month; narrows the period to a day" }),
}));

builder.queryField("funnel", (t) =>
  t.field({
    type: FunnelRef,
    description: "Counts per status of a funnel event for an account over a year, month or day.",
    args: funnelArgs,
    resolve: async (_root, args, { store, principal }) => {
      const period = checkSeriesArgs(args);
      checkAccess(principal, args.account);
      const counts = await store.counts("funnels", args.account, args.event, period);
      const funnel = funnelView(args.account, args.event, period, counts);
      return checkExact(funnel, funnel.statuses);
    },
  }),
);

builder.subscriptionField("funnel", (t) =>
  t.field({
    type: FunnelRef,
    description: "The period's Funnel now, then a fresh Funnel after every flush that changed it.",
    args: funnelArgs,
    subscribe: (_root, args, { live, principal, series }) => {
      const period = checkSeriesArgs(args);
      // Here, per subscriber: the field's resolve is shared between subscribers and has no context.
      checkAccess(principal, args.account);
      admitLive(series.memory, "a new live funnel subscription");
      return live.funnel(args.account, args.event, period);
    },
    resolve: (funnel) => checkExact(funnel, funnel.statuses),
  }),
);
