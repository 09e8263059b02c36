/**
 * The top accounts (docs/contract.md §9) for the range: the `top` subscription over the range's window, which
 * sends the current ranking first, then a new one after each flush that changed it, and slides.
 */
import { DashboardTopDocument, type DashboardTopSubscription } from "./gql.js";
import type { Live } from "./live.js";
import type { WindowArgs } from "./ranges.js";

export type TopAnswer = DashboardTopSubscription["top"];

export function watchTop(
  live: Live,
  variables: WindowArgs & { event: string; timeZone: string },
  onData: (top: TopAnswer) => void,
  onError: (message: string) => void,
): () => void {
  return live.subscribe(DashboardTopDocument, variables, (d) => onData(d.top), onError);
}
