/**
 * The browser pages over plain HTTP: the dashboard at / and /dashboard, GraphiQL at /graphql, and
 * their static files: small pages that revalidate, compressed assets cached for a year, nothing
 * from another host. (The browser itself runs in test/browser/.)
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, test } from "node:test";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { Service } from "../../src/commands/serve.js";
import { startTestService } from "../helpers/service.js";

let service: Service;
before(async () => {
  // No data is read here: the memory store, and no publisher at the endpoint the bus connects to,
  // keep it to the HTTP side (an API process cannot have a memory store of its own: nothing would
  // ingest into it).
  service = await startTestService([
    "--store",
    "memory",
    "--zmq",
    "tcp://127.0.0.1:1",
    "--track-events",
    "pageview,signup",
    "--funnel-events",
    "order,ticket",
  ]);
});
after(() => service.stop());

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}
function get(path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(`${service.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}
const HTML = { accept: "text/html,application/xhtml+xml" };

/** Every src/href in a page: must stay on this host. */
function references(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1] as string);
}

test("the dashboard page is small, revalidated, and its assets are compressed and cached for a year", async () => {
  const page = await get("/", HTML);
  assert.equal(page.status, 200);
  assert.match(String(page.headers["content-type"]), /text\/html/);
  assert.equal(page.headers["cache-control"], "no-cache");
  const html = page.body.toString();
  assert.equal((await get("/dashboard", HTML)).body.toString(), html, "/dashboard is the same page");
  for (const ref of references(html)) assert.match(ref, /^(\/|data:)/, `${ref} stays on this host`);
  // The events its lists offer come from the service's flags (`unique` is what tracked events with data.unq count as).
  const meta = /<meta name="dashboard-config" content="([^"]*)">/.exec(html)?.[1] ?? "";
  assert.deepEqual(JSON.parse(meta.replace(/&quot;/g, '"').replace(/&amp;/g, "&")), {
    trackEvents: ["pageview", "signup", "unique"],
    funnelEvents: ["order", "ticket"],
  });
  const again = await get("/", { ...HTML, "if-none-match": String(page.headers["etag"]) });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);

  const js = references(html).find((r) => r.endsWith(".js")) as string;
  const css = references(html).find((r) => r.endsWith(".css")) as string;
  assert.match(js, /^\/assets\/dashboard\/dashboard\.[\w-]{12}\.js$/);
  const plain = await get(js);
  const br = await get(js, { "accept-encoding": "gzip, deflate, br" });
  const gz = await get(js, { "accept-encoding": "gzip" });
  assert.equal(br.headers["content-encoding"], "br");
  assert.equal(gz.headers["content-encoding"], "gzip");
  assert.equal(plain.headers["content-encoding"], undefined);
  assert.deepEqual(brotliDecompressSync(br.body), plain.body);
  assert.deepEqual(gunzipSync(gz.body), plain.body);
  assert.equal(br.headers["cache-control"], "public, max-age=31536000, immutable");
  assert.equal(br.headers["vary"], "Accept-Encoding");
  assert.equal((await get(css)).status, 200);
  console.log(
    `dashboard: page ${page.body.length} B; script ${plain.body.length} B, ${br.body.length} B brotli, ${gz.body.length} B gzip`,
  );
  assert.ok(br.body.length < 80_000, "the dashboard script stays small");
});

test("API clients still get the JSON index at /", async () => {
  const res = await get("/", { accept: "application/json" });
  assert.equal(res.status, 200);
  assert.ok((JSON.parse(res.body.toString()) as { endpoints: string[] }).endpoints.includes("/graphql"));
});

test("GraphiQL's page is small and its 9 MB bundle is a compressed, versioned, cacheable file", async () => {
  const page = await get("/graphql", HTML);
  assert.equal(page.status, 200);
  const html = page.body.toString();
  assert.ok(html.length < 8_000, `page ${html.length} B, not the bundle inline`);
  assert.doesNotMatch(html, /unpkg|jsdelivr|cdn\.|https?:\/\//);
  const refs = references(html);
  for (const ref of refs) assert.match(ref, /^\/assets\/graphiql-[\d.]+\//);
  const workers = [...html.matchAll(/"(\/assets\/graphiql-[\d.]+\/[\w.]+\.worker\.js)"/g)].map((m) => m[1] as string);
  assert.equal(workers.length, 3, "Monaco's three workers are files too");
  const bundle = refs.find((r) => r.endsWith("graphiql.js")) as string;
  const plain = await get(bundle);
  const br = await get(bundle, { "accept-encoding": "br" });
  assert.equal(br.headers["cache-control"], "public, max-age=31536000, immutable");
  assert.deepEqual(brotliDecompressSync(br.body), plain.body);
  for (const path of [...workers, ...refs]) assert.equal((await get(path)).status, 200, path);
  console.log(`graphiql: page ${html.length} B; bundle ${plain.body.length} B, ${br.body.length} B brotli`);
  assert.ok(br.body.length < plain.body.length / 3);
});

test("unknown assets are 404 and other methods 405", async () => {
  assert.equal((await get("/assets/dashboard/nope.js")).status, 404);
  assert.equal((await get("/assets/graphiql-0.0.0/graphiql.js")).status, 404);
  assert.equal((await get("/dashboard/x", HTML)).status, 404);
  const page = (await get("/", HTML)).body.toString();
  const js = references(page).find((r) => r.endsWith(".js")) as string;
  const post = await get(js, {}, "POST");
  assert.equal(post.status, 405);
  assert.equal(post.headers["allow"], "GET, HEAD");
});
