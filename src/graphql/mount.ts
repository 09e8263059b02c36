/** The GraphQL mount (issue #3). Placeholder until the schema lands: answers nothing. */
import type { Mount } from "../app.js";
import type { ServiceDeps } from "../service-deps.js";

export function createGraphqlMount(_deps: ServiceDeps): Mount | undefined {
  return undefined;
}
