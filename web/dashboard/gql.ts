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

export type DashboardEventsQueryVariables = Exact<{
  account: string;
}>;


export type DashboardEventsQuery = { events: Array<string> };

export type DashboardSeriesSubscriptionVariables = Exact<{
  account: string;
  event: string;
  granularity: Granularity;
  timeZone: string;
  from?: string | null | undefined;
  to?: string | null | undefined;
  last?: number | null | undefined;
}>;


export type DashboardSeriesSubscription = { series: { total: number, points: Array<{ start: string, count: number }> } };

export type DashboardFunnelSubscriptionVariables = Exact<{
  account: string;
  event: string;
  timeZone: string;
  from: string;
  to: string;
}>;


export type DashboardFunnelSubscription = { funnelSeries: { total: number, statuses: Array<{ status: string, count: number }> } };

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

export const DashboardAccountsDocument = new TypedDocumentString(`
    query DashboardAccounts {
  accounts
}
    `) as unknown as TypedDocumentString<DashboardAccountsQuery, DashboardAccountsQueryVariables>;
export const DashboardEventsDocument = new TypedDocumentString(`
    query DashboardEvents($account: String!) {
  events(account: $account)
}
    `) as unknown as TypedDocumentString<DashboardEventsQuery, DashboardEventsQueryVariables>;
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
    total
    points {
      start
      count
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardSeriesSubscription, DashboardSeriesSubscriptionVariables>;
export const DashboardFunnelDocument = new TypedDocumentString(`
    subscription DashboardFunnel($account: String!, $event: String!, $timeZone: String!, $from: DateTime!, $to: DateTime!) {
  funnelSeries(
    account: $account
    event: $event
    granularity: MONTH
    timeZone: $timeZone
    from: $from
    to: $to
  ) {
    total
    statuses {
      status
      count
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardFunnelSubscription, DashboardFunnelSubscriptionVariables>;