/**
 * Which accounts an operation may read, decided per request from its API token (the context's
 * principal): reading another account is a GraphQL error with `extensions.code` FORBIDDEN.
 * Subscriptions check in `subscribe`, which runs per subscriber — their field resolvers are
 * shared between subscribers (plugins/use-shared-execution.ts) and never look at the context.
 */
import { GraphQLError } from "graphql";
import { canRead, type Principal } from "../../auth/tokens.js";

export function checkAccess(principal: Principal, account: string): void {
  if (!canRead(principal, account)) {
    throw new GraphQLError(`this API token may not read account ${JSON.stringify(account)}`, {
      extensions: { code: "FORBIDDEN" },
    });
  }
}

/** The accounts of a listing that the token may see (`all` only for an all-accounts token). */
export function visibleAccounts(principal: Principal, accounts: string[]): string[] {
  return principal.allAccounts ? accounts : accounts.filter((a) => canRead(principal, a));
}

/** For `increments(account: null)`: undefined (every account) for all-accounts tokens, else a filter. */
export function readableAccounts(principal: Principal): ((account: string) => boolean) | undefined {
  return principal.allAccounts ? undefined : (account) => canRead(principal, account);
}

/** For answers about every account at once (`top`): only a token that may read every account (`*`). */
export function checkAllAccounts(principal: Principal, field: string): void {
  if (!principal.allAccounts) {
    throw new GraphQLError(`${field} ranks every account: it needs an API token that may read every account (*)`, {
      extensions: { code: "FORBIDDEN" },
    });
  }
}
