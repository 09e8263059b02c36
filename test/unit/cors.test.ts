/** Browser-facing defaults: CORS origins and CSRF prevention, as flags parse them and as headers come out. */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { type Config, ConfigError, parseConfig } from "../../src/config.js";
import { applyCors, CorsResponse } from "../../src/http/cors.js";

const parse = (argv: string[], env: Record<string, string> = {}) => parseConfig(argv, env) as Config;

/** The headers applyCors sets, and what it answered itself. */
function corsOf(origins: string[], method: string, headers: Record<string, string>) {
  const set: Record<string, unknown> = {};
  let status: number | undefined;
  const res = {
    setHeader: (name: string, value: unknown) => {
      set[name.toLowerCase()] = value;
    },
    writeHead: (code: number) => {
      status = code;
    },
    end: () => {},
  } as unknown as ServerResponse;
  const answered = applyCors(origins, { method, headers } as unknown as IncomingMessage, res);
  return { answered, status, set };
}

describe("browser-facing defaults", () => {
  it("CSRF prevention is off unless asked for; CORS allows any origin", () => {
    assert.equal(parse([]).graphql.csrfPrevention, false);
    assert.equal(parse(["--csrf-prevention"]).graphql.csrfPrevention, true);
    assert.equal(parse([], { STATS_CSRF_PREVENTION: "true" }).graphql.csrfPrevention, true);
    assert.deepEqual(parse([]).corsOrigins, ["*"]);
    assert.deepEqual(parse(["--cors-origins", "https://a.example,http://localhost:3000"]).corsOrigins, [
      "https://a.example",
      "http://localhost:3000",
    ]);
  });

  it("a bad --cors-origins value stops the start with a reason", () => {
    for (const [value, reason] of [
      ["a.example", /not an origin/],
      ["https://a.example/path", /not an origin/],
      ["*,https://a.example", /cannot be combined/],
    ] as const) {
      assert.throws(
        () => parseConfig(["--cors-origins", value], {}),
        (e: unknown) => e instanceof ConfigError && reason.test(e.message),
        value,
      );
    }
  });

  it("any origin: *, no credentials, WWW-Authenticate exposed; a preflight is answered 204", () => {
    const get = corsOf(["*"], "GET", { origin: "https://x.example" });
    assert.equal(get.answered, false);
    assert.equal(get.set["access-control-allow-origin"], "*");
    assert.match(String(get.set["access-control-expose-headers"]), /WWW-Authenticate/);
    assert.equal(get.set["access-control-allow-credentials"], undefined);
    const pre = corsOf(["*"], "OPTIONS", {
      origin: "https://x.example",
      "access-control-request-method": "GET",
      "access-control-request-headers": "authorization, x-graphql-event-stream-token",
    });
    assert.equal(pre.answered, true);
    assert.equal(pre.status, 204);
    assert.match(String(pre.set["access-control-allow-headers"]), /Authorization.*x-graphql-event-stream-token/);
    // A requested header list that is not header names is not echoed.
    const odd = corsOf(["*"], "OPTIONS", {
      origin: "https://x.example",
      "access-control-request-method": "GET",
      "access-control-request-headers": "a\u0000b",
    });
    assert.equal(odd.set["access-control-allow-headers"], "Authorization, Content-Type, Accept");
  });

  it("a list: only listed origins get the headers, and every answer varies by Origin", () => {
    const listed = corsOf(["https://a.example"], "GET", { origin: "https://a.example" });
    assert.equal(listed.set["access-control-allow-origin"], "https://a.example");
    assert.equal(listed.set["vary"], "Origin");
    const other = corsOf(["https://a.example"], "OPTIONS", {
      origin: "https://b.example",
      "access-control-request-method": "GET",
    });
    assert.equal(other.set["access-control-allow-origin"], undefined);
    assert.equal(other.set["access-control-allow-methods"], undefined);
    assert.equal(other.set["vary"], "Origin");
  });

  // The server's own responses carry the headers into the head however it is written.
  it("a server response carries the CORS headers in every way a head is written", async () => {
    const writes: Record<string, (res: ServerResponse) => void> = {
      object: (res) => res.writeHead(200, { "Content-Type": "text/plain" }).end("a"),
      message: (res) => res.writeHead(201, "Made", { "Content-Type": "text/plain" }).end("b"),
      flat: (res) => res.writeHead(200, ["Content-Type", "text/plain", "X-A", "1"]).end("c"),
      nested: (res) => res.writeHead(200, [["Content-Type", "text/plain"]] as unknown as string[]).end("d"),
      bare: (res) => res.writeHead(204).end(),
      implicit: (res) => {
        res.setHeader("Content-Type", "text/plain");
        res.end("e");
      },
      own: (res) => res.writeHead(200, { "Access-Control-Expose-Headers": "X-Mine" }).end("f"),
    };
    for (const [origins, origin, expected] of [
      [["*"], "https://x.example", { allow: "*", vary: null }],
      [["https://a.example"], "https://a.example", { allow: "https://a.example", vary: "Origin" }],
      [["https://a.example"], "https://b.example", { allow: null, vary: "Origin" }],
    ] as const) {
      const server = createServer({ ServerResponse: CorsResponse }, (req, res) => {
        if (!applyCors(origins, req, res)) writes[(req.url ?? "/").slice(1)]?.(res);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      try {
        for (const name of Object.keys(writes)) {
          const r = await fetch(`http://127.0.0.1:${port}/${name}`, { headers: { origin } });
          assert.equal(r.headers.get("access-control-allow-origin"), expected.allow, `${name} ${origin}`);
          assert.equal(r.headers.get("vary"), expected.vary, `${name} ${origin}`);
          const exposed = name === "own" ? "X-Mine" : expected.allow === null ? null : "WWW-Authenticate, Retry-After";
          assert.equal(r.headers.get("access-control-expose-headers"), exposed, `${name}: the route's own header wins`);
          if (name !== "bare") assert.equal(r.headers.get("content-type"), name === "own" ? null : "text/plain", name);
          if (name === "message") assert.equal(r.statusText, "Made");
          if (name === "flat") assert.equal(r.headers.get("x-a"), "1");
        }
      } finally {
        server.close();
      }
    }
  });
});
