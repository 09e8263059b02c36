import { KINDS, NAME_RULE } from "../../domain/names.js";
import { DEFAULT_PAGE, MAX_PAGE, type PageRequest, pageOfUnion } from "../../domain/page.js";
import type { Kind } from "../../domain/types.js";
import { checkAccess, visibleAccounts } from "./access.js";
import { builder } from "./builder.js";
import { badUserInput, checkName } from "./errors.js";

/** Names from time series and funnels together, each once, sorted. */
async function union<T extends string | number>(read: (kind: Kind) => Promise<T[]>): Promise<T[]> {
  const lists = await Promise.all(KINDS.map(read));
  return [...new Set(lists.flat())].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const PREFIX = /^[A-Za-z0-9._-]{0,128}$/;

/** The paging arguments of a listing, checked (BAD_USER_INPUT otherwise). */
const pageArgs = builder.args((t) => ({
  first: t.int({
    defaultValue: DEFAULT_PAGE,
    description: `at most this many names (1-${MAX_PAGE}); the next page starts \`after\` the last one`,
  }),
  after: t.string({ description: "the last name of the previous page: names after it (exclusive)" }),
  prefix: t.string({ description: "only names that start with this" }),
}));

function checkPage(args: {
  first?: number | null | undefined;
  after?: string | null | undefined;
  prefix?: string | null | undefined;
}): PageRequest {
  const first = args.first ?? DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) {
    throw badUserInput(`first must be 1-${MAX_PAGE} (got ${first})`);
  }
  if (args.after !== null && args.after !== undefined) checkName("after", args.after);
  if (args.prefix !== null && args.prefix !== undefined && !PREFIX.test(args.prefix)) {
    throw badUserInput(`prefix must be 0-128 characters of a name (${NAME_RULE}) (got ${JSON.stringify(args.prefix)})`);
  }
  return { first, after: args.after ?? undefined, prefix: args.prefix ?? undefined };
}

builder.queryField("accounts", (t) =>
  t.stringList({
    description:
      "Accounts with data (time series or funnels), sorted, a page at a time (`first`, default " +
      `${DEFAULT_PAGE}; \`after\`; \`prefix\`); includes the rollup account \`all\`.`,
    args: pageArgs,
    resolve: async (_root, args, { store, principal }) => {
      const page = checkPage(args);
      const lists = await Promise.all(KINDS.map((kind) => store.accounts(kind)));
      if (principal.allAccounts) return pageOfUnion(lists, page);
      // A limited token sees few accounts: filter first, then page.
      return pageOfUnion(
        lists.map((l) => visibleAccounts(principal, [...l])),
        page,
      );
    },
  }),
);

builder.queryField("events", (t) =>
  t.stringList({
    description: "Event types with data for an account (time series or funnels), sorted, a page at a time.",
    args: { account: t.arg.string({ required: true }), ...pageArgs },
    resolve: async (_root, args, { store, principal }) => {
      checkName("account", args.account);
      checkAccess(principal, args.account);
      const page = checkPage(args);
      return pageOfUnion(await Promise.all(KINDS.map((kind) => store.events(kind, args.account))), page);
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
