// Live counts with a plain EventSource (no library in a browser; in Node.js: npm install eventsource)
import { EventSource } from "eventsource"; // Node.js only; browsers have EventSource built in

/** Calls onTotal with this year's pageviews now, and again after every change. */
export function watchPageviews(url: string, year: number, onTotal: (total: number) => void): () => void {
  const query = `subscription { stats(account: "acme", event: "pageview", year: ${year}) { total } }`;
  // A GET with the operation in the URL; add &token=... when the server requires API tokens.
  const source = new EventSource(`${url}?query=${encodeURIComponent(query)}`); // http://localhost:8001/graphql
  // Each result is an event named "next" (not the default "message").
  source.addEventListener("next", (event) => {
    const { data } = JSON.parse(event.data) as { data?: { stats: { total: number } } };
    if (data) onTotal(data.stats.total);
  });
  // "complete": the subscription is over (never for a live one; a server restart is not a
  // complete, and EventSource reconnects by itself). Close, or the browser would subscribe again.
  source.addEventListener("complete", () => source.close());
  return () => source.close();
}
