import { KINDS } from "../../domain/names.js";
import type { Kind } from "../../domain/types.js";
import { checkAccess, visibleAccounts } from "./access.js";
import { builder } from "./builder.js";
import { checkName } from "./errors.js";

/** Names from time series and funnels together, each once, sorted. */
async function union<T extends string | number>(read: (kind: Kind) => Promise<T[]>): Promise<T[]> {
  const lists = await Promise.all(KINDS.map(read));
  return [...new Set(lists.flat())].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

builder.queryField("accounts", (t) =>
  t.stringList({
    description: "Every account with data (time series or funnels), sorted; includes the rollup account `all`.",
    resolve: async (_root, _args, { store, principal }) =>
      visibleAccounts(principal, await union((kind) => store.accounts(kind))),
  }),
);

builder.queryField("events", (t) =>
  t.stringList({
    description: "Every event type with data for an account (time series or funnels), sorted.",
    args: { account: t.arg.string({ required: true }) },
    resolve: (_root, { account }, { store, principal }) => {
      checkName("account", account);
      checkAccess(principal, account);
      return union((kind) => store.events(kind, account));
    },
  }),
);

builder.queryField("years", (t) =>
  t.intList({
    description: "The years that have data for an account and event (time series or funnels), ascending.",
    args: { account: t.arg.string({ required: true }), event: t.arg.string({ required: true }) },
    resolve: (_root, { account, event }, { store, principal }) => {
      checkName("account", account);
      checkName("event", event);
      checkAccess(principal, account);
      return union((kind) => store.years(kind, account, event));
    },
  }),
);
