/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** The unit of a period's segments. */
export type Granularity =
  /** the 28-31 days of a month */
  | 'DAY'
  /** the 24 hours of a day (UTC in stats; the zone's local hours in series) */
  | 'HOUR'
  /** the 60 minutes of an hour (minute counts are kept 30 days by default) */
  | 'MINUTE'
  /** the 12 months of a year */
  | 'MONTH';

export type DashboardAccountsQueryVariables = Exact<{ [key: string]: never; }>;


export type DashboardAccountsQuery = { accounts: Array<string> };

export type DashboardSeriesFieldsFragment = { from: string, to: string, total: number, points: Array<{ start: string, local: string, count: number }> };

export type DashboardSeriesSubscriptionVariables = Exact<{
  account: string;
  event: string;
  granularity: Granularity;
  timeZone: string;
  from?: string | null | undefined;
  to?: string | null | undefined;
  last?: number | null | undefined;
}>;


export type DashboardSeriesSubscription = { series: { from: string, to: string, total: number, points: Array<{ start: string, local: string, count: number }> } };

export type DashboardSeriesComparedSubscriptionVariables = Exact<{
  account: string;
  event: string;
  granularity: Granularity;
  timeZone: string;
  from?: string | null | undefined;
  to?: string | null | undefined;
  last?: number | null | undefined;
}>;


export type DashboardSeriesComparedSubscription = { series: { from: string, to: string, total: number, previous: { from: string, to: string, total: number, points: Array<{ start: string, local: string, count: number }> } | null, points: Array<{ start: string, local: string, count: number }> } };

export type DashboardFunnelSubscriptionVariables = Exact<{
  account: string;
  event: string;
  granularity: Granularity;
  timeZone: string;
  last?: number | null | undefined;
}>;


export type DashboardFunnelSubscription = { funnelSeries: { from: string, to: string, total: number, statuses: Array<{ status: string, count: number }> } };

export type DashboardTopSubscriptionVariables = Exact<{
  event: string;
  granularity: Granularity;
  timeZone: string;
  from?: string | null | undefined;
  to?: string | null | undefined;
  last?: number | null | undefined;
}>;


export type DashboardTopSubscription = { top: { total: number, accountCount: number, others: number, accounts: Array<{ account: string, count: number }> } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const DashboardSeriesFieldsFragmentDoc = new TypedDocumentString(`
    fragment DashboardSeriesFields on Series {
  from
  to
  total
  points {
    start
    local
    count
  }
}
    `, {"fragmentName":"DashboardSeriesFields"}) as unknown as TypedDocumentString<DashboardSeriesFieldsFragment, unknown>;
export const DashboardAccountsDocument = new TypedDocumentString(`
    query DashboardAccounts {
  accounts
}
    `) as unknown as TypedDocumentString<DashboardAccountsQuery, DashboardAccountsQueryVariables>;
export const DashboardSeriesDocument = new TypedDocumentString(`
    subscription DashboardSeries($account: String!, $event: String!, $granularity: Granularity!, $timeZone: String!, $from: DateTime, $to: DateTime, $last: Int) {
  series(
    account: $account
    event: $event
    granularity: $granularity
    timeZone: $timeZone
    from: $from
    to: $to
    last: $last
  ) {
    ...DashboardSeriesFields
  }
}
    fragment DashboardSeriesFields on Series {
  from
  to
  total
  points {
    start
    local
    count
  }
}`) as unknown as TypedDocumentString<DashboardSeriesSubscription, DashboardSeriesSubscriptionVariables>;
export const DashboardSeriesComparedDocument = new TypedDocumentString(`
    subscription DashboardSeriesCompared($account: String!, $event: String!, $granularity: Granularity!, $timeZone: String!, $from: DateTime, $to: DateTime, $last: Int) {
  series(
    account: $account
    event: $event
    granularity: $granularity
    timeZone: $timeZone
    from: $from
    to: $to
    last: $last
  ) {
    ...DashboardSeriesFields
    previous {
      ...DashboardSeriesFields
    }
  }
}
    fragment DashboardSeriesFields on Series {
  from
  to
  total
  points {
    start
    local
    count
  }
}`) as unknown as TypedDocumentString<DashboardSeriesComparedSubscription, DashboardSeriesComparedSubscriptionVariables>;
export const DashboardFunnelDocument = new TypedDocumentString(`
    subscription DashboardFunnel($account: String!, $event: String!, $granularity: Granularity!, $timeZone: String!, $last: Int) {
  funnelSeries(
    account: $account
    event: $event
    granularity: $granularity
    timeZone: $timeZone
    last: $last
  ) {
    from
    to
    total
    statuses {
      status
      count
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardFunnelSubscription, DashboardFunnelSubscriptionVariables>;
export const DashboardTopDocument = new TypedDocumentString(`
    subscription DashboardTop($event: String!, $granularity: Granularity!, $timeZone: String!, $from: DateTime, $to: DateTime, $last: Int) {
  top(
    event: $event
    granularity: $granularity
    timeZone: $timeZone
    from: $from
    to: $to
    last: $last
    first: 10
  ) {
    total
    accountCount
    accounts {
      account
      count
    }
    others
  }
}
    `) as unknown as TypedDocumentString<DashboardTopSubscription, DashboardTopSubscriptionVariables>;