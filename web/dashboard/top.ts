/**
 * The top accounts (DESIGN §9) for the range: the `top` subscription over the range's window.
 */
import type { Live, Operation } from "./live.js";
import type { WindowArgs } from "./ranges.js";

export interface TopAnswer {
  total: number;
  accountCount: number;
  accounts: Array<{ account: string; count: number }>;
  others: number;
}

type TopVariables = WindowArgs & { event: string; timeZone: string };

const DashboardTopDocument = `
subscription DashboardTop($event: String!, $granularity: Granularity!, $timeZone: String!, $last: Int, $from: DateTime, $to: DateTime) {
  top(event: $event, granularity: $granularity, timeZone: $timeZone, last: $last, from: $from, to: $to, first: 10) {
    total
    accountCount
    accounts { account count }
    others
  }
}` as Operation<{ top: TopAnswer }, TopVariables>;

export function watchTop(
  live: Live,
  variables: TopVariables,
  onData: (top: TopAnswer) => void,
  onError: (message: string) => void,
): () => void {
  return live.subscribe(DashboardTopDocument, variables, (d) => onData(d.top), onError);
}
