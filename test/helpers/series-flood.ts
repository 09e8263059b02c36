/**
 * The API flood of issue 19: `series` subscribe+complete pairs over one graphql-ws connection
 * (the graphql-ws client library), MINUTE granularity, `last` up to 1,500, in zones whose hours
 * and minutes are odd — every pair a window the service has not planned before. Used by the
 * isolation fault test and bench/isolation.ts.
 */
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";

/** Subscribes sent before their completes: well under --max-ws-operations (100). */
const BURST = 50;
const ZONES = [
  "Asia/Kathmandu",
  "Australia/Lord_Howe",
  "Asia/Kolkata",
  "Australia/Eucla",
  "Pacific/Chatham",
  "America/St_Johns",
  "Asia/Tehran",
  "Pacific/Marquesas",
];
const SERIES = `subscription Flood($account: String!, $last: Int!, $timeZone: String!) {
  series(account: $account, event: "pageview", granularity: MINUTE, last: $last, timeZone: $timeZone) {
    total from to points { start local count }
  }
}`;

/** A connected graphql-ws client on `baseUrl`'s /graphql (resolves once the server acknowledged it). */
export async function connectFloodClient(baseUrl: string): Promise<Client> {
  const client = createClient({
    url: `${baseUrl.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    // A flooded service is killed in mid-flood when a test or benchmark ends: that close is expected.
    onNonLazyError: () => {},
  });
  await new Promise<void>((resolve, reject) => {
    client.on("connected", () => resolve());
    client.on("closed", (e) => reject(new Error(`graphql-ws closed: ${JSON.stringify(e)}`)));
  });
  return client;
}

/**
 * Sends `pairs` subscribe+complete pairs on `client`, BURST subscribes at a time, each pair a
 * distinct window (`seed` offsets them between clients). Resolves with the pairs sent.
 */
export async function floodSeries(
  client: Client,
  opts: { pairs: number; seed: number; accounts: readonly string[]; stopped?: () => boolean },
): Promise<number> {
  let sent = 0;
  while (sent < opts.pairs && !opts.stopped?.()) {
    const releases: Array<() => void> = [];
    for (let i = 0; i < BURST && sent < opts.pairs; i++, sent++) {
      const n = opts.seed + sent;
      const variables = {
        account: opts.accounts[n % opts.accounts.length],
        last: 1 + (n % 1_500),
        timeZone: ZONES[n % ZONES.length],
      };
      releases.push(client.subscribe({ query: SERIES, variables }, { next() {}, error() {}, complete() {} }));
    }
    // The client sends a subscribe once its connection is there (after a promise turn); a release
    // in a later turn then sends the complete.
    await new Promise((r) => setImmediate(r));
    for (const release of releases) release();
  }
  return sent;
}
