// Live counts over Server-Sent Events with graphql-sse: npm install graphql-sse
import { createClient } from "graphql-sse";

const LIVE = `subscription ($year: Int!) {
  stats(account: "acme", event: "pageview", year: $year) { total }
}`;

/** Calls onTotal with this year's pageviews now, and again after every change. */
export function watchPageviews(url: string, year: number, onTotal: (total: number) => void): () => void {
  // The defaults: distinct connections mode (single connection mode is not supported), and
  // up to 5 retries with backoff, which carries a subscription across a server restart.
  const client = createClient({ url }); // http://localhost:8001/graphql
  const unsubscribe = client.subscribe<{ stats: { total: number } }>(
    { query: LIVE, variables: { year } },
    {
      next: ({ data }) => data && onTotal(data.stats.total),
      error: (err) => console.error("live pageviews failed", err),
      complete: () => {},
    },
  );
  return () => {
    unsubscribe();
    client.dispose();
  };
}
