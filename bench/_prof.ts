import { spawnServer } from "../test/helpers/ingest.js";
import { startRedis } from "../test/helpers/redis.js";
import { wiring } from "../test/helpers/service.js";
import { startPublisher } from "../test/helpers/zmq.js";

const redis = await startRedis();
const pub = await startPublisher();
const server = await spawnServer([...wiring(redis.url, pub.endpoint, redis.prefix()), "--log-level", "warn"], {
  nodeArgs: ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"],
});
const until = Date.now() + 8000;
let n = 0;
const t0 = Date.now();
await Promise.all(
  [0, 1, 2, 3].map(async (c) => {
    let i = 0;
    while (Date.now() < until) {
      i++;
      const r = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: `{ series(account: "acme", event: "pageview", granularity: HOUR, timeZone: "Asia/Kolkata", last: ${300 + ((c * 97 + i * 13) % 400)}) { total } }`,
        }),
      });
      await r.text();
      n++;
    }
  }),
);
console.log("windows/s", (n / ((Date.now() - t0) / 1000)).toFixed(1));
await server.stop("SIGTERM");
pub.close();
await redis.stop();
