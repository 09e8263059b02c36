// Live counts over WebSocket with graphql-ws: npm install graphql-ws ws
import { createClient } from "graphql-ws";
import WebSocket from "ws"; // needed by Node.js before 22 only: Node 22+ and browsers have WebSocket built in

const LIVE = `subscription ($year: Int!) {
  stats(account: "acme", event: "pageview", year: $year) { total }
}`;

/** Calls onTotal with this year's pageviews now, and again after every change. */
export function watchPageviews(url: string, year: number, onTotal: (total: number) => void): () => void {
  const client = createClient({
    url, // ws://localhost:8001/graphql
    webSocketImpl: WebSocket,
    // Retry on anything, not only on a close event: during a deploy the first retry can meet
    // a refused connection (ECONNREFUSED), on which graphql-ws's default gives up for good.
    shouldRetry: () => true,
  });
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
    void client.dispose();
  };
}
