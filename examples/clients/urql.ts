// A query with urql: npm install @urql/core
import { Client, fetchExchange } from "@urql/core";

const PAGEVIEWS = `query ($year: Int!) {
  stats(account: "acme", event: "pageview", year: $year) { total segments { key count } }
}`;

interface Pageviews {
  stats: { total: number; segments: Array<{ key: number; count: number }> };
}

/** This year's pageviews, with one segment per month. */
export async function pageviews(url: string, year: number): Promise<Pageviews["stats"]> {
  // Default settings: urql sends this query as a GET (the server needs no CSRF header).
  const client = new Client({ url, exchanges: [fetchExchange] }); // http://localhost:8001/graphql
  const result = await client.query<Pageviews>(PAGEVIEWS, { year }).toPromise();
  if (result.error || !result.data) throw result.error ?? new Error("no data");
  return result.data.stats;
}
