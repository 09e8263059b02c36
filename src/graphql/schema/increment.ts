import type { Increment } from "../../domain/changes.js";
import { checkAccess, readableAccounts } from "./access.js";
import { builder } from "./builder.js";
import { admitLive, checkName } from "./errors.js";

const IncrementRef = builder.objectRef<Increment>("Increment").implement({
  description: "Counts one flush added for an account and event in one UTC minute (time series) or hour (funnels).",
  fields: (t) => ({
    account: t.exposeString("account"),
    event: t.exposeString("event"),
    status: t.exposeString("status", {
      nullable: true,
      description: "the funnel status, for funnel events; null for time series",
    }),
    at: t.expose("at", {
      type: "DateTime",
      description: "start of the UTC minute (time series) or UTC hour (funnels) the count belongs to",
    }),
    count: t.expose("count", { type: "Count" }),
  }),
});

builder.subscriptionField("increments", (t) =>
  t.field({
    type: IncrementRef,
    description: "Every delta of every flush, filtered by account and event (null = any).",
    args: {
      account: t.arg.string({ description: "only this account (null = any; `all` is the rollup)" }),
      event: t.arg.string({ description: "only this event type (null = any)" }),
    },
    subscribe: (_root, { account, event }, { live, principal, series }) => {
      if (account != null) checkName("account", account);
      if (event != null) checkName("event", event);
      if (account != null) checkAccess(principal, account);
      admitLive(series.memory, "a new increments subscription");
      // Any account, for a token restricted to some: the feed passes on only theirs.
      const readable = account == null ? readableAccounts(principal) : undefined;
      return live.increments({ account: account ?? undefined, event: event ?? undefined, readable });
    },
    resolve: (increment) => increment,
  }),
);
