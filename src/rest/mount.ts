/** The legacy REST API mount (issue #4). Placeholder until the routes land: answers nothing. */
import type { Mount } from "../app.js";
import type { ServiceDeps } from "../service-deps.js";

export function createRestMount(_deps: ServiceDeps): Mount | undefined {
  return undefined;
}
