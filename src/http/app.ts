/**
 * buildApp(deps) → an HTTP handler plus start/stop. Never listens on import; only commands/serve.ts (or a
 * test, on port 0) calls start(). GraphQL and REST plug in as mounts; health and metrics are here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { bearerMatches, METRICS_CHALLENGE } from "../auth/request.js";
import type { StatsStore } from "../domain/types.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import { applyCors, type CorsOrigins, CorsResponse, upgradeAllowed } from "./cors.js";

export interface Mount {
  /** Path prefix this mount answers, e.g. "/graphql" or "/api/stats". */
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
  /** WebSocket upgrades on this prefix. */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close?(): Promise<void>;
}

/** A check's answer: ok or not, with the reason when not, and a warning that does not fail it. */
export type CheckResult = boolean | { ok: boolean; reason?: string | undefined; warning?: string | undefined };

export interface ReadinessCheck {
  name: string;
  check(): Promise<CheckResult>;
}

export interface AppDeps {
  store: StatsStore;
  metrics: Metrics;
  log: Logger;
  mounts?: Mount[];
  /** Extra readiness checks (the event bus, when this process ingests). */
  readiness?: ReadinessCheck[];
  /** Extra fields of the /readyz JSON, e.g. `shards` (informative; only `readiness` decides the status). */
  readyDetail?: () => Record<string, unknown>;
  /** Bearer token that /metrics requires ("" or absent: /metrics is open). */
  metricsToken?: string;
  /** Origins allowed to read every route cross-origin (default any). */
  corsOrigins?: CorsOrigins;
}

export interface App {
  handler(req: IncomingMessage, res: ServerResponse): void;
  /** Listens on host:port (port 0 = any free port); resolves with the bound address. */
  start(port: number, host?: string): Promise<{ port: number; host: string; url: string }>;
  stop(): Promise<void>;
}

export function buildApp(deps: AppDeps): App {
  const { store, metrics, log } = deps;
  metrics.observeStore(() => ({ connected: store.connected(), maxmemoryPolicy: store.maxmemoryPolicy() }));
  metrics.observeCardinality(() => store.cardinality(new Date().getUTCFullYear()));
  const mounts = [...(deps.mounts ?? [])].sort((a, b) => b.prefix.length - a.prefix.length);
  const checks: ReadinessCheck[] = [
    {
      name: "store",
      check: async () => {
        const warning = store.warnings().join("; ") || undefined;
        try {
          await withTimeout(store.ping(), 1_000);
          return { ok: true, warning };
        } catch (err) {
          return { ok: false, reason: `PING failed: ${err instanceof Error ? err.message : String(err)}`, warning };
        }
      },
    },
    ...(deps.readiness ?? []),
  ];
  const corsOrigins = deps.corsOrigins ?? ["*"];
  let server: Server | undefined;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
    res.end(JSON.stringify(body));
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    // Before any route, so that every answer (errors included) carries the CORS headers.
    if (applyCors(corsOrigins, req, res)) return;
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const fail = (err: unknown) => {
      log.error({ err, url: req.url }, "request failed");
      if (!res.headersSent) json(res, 500, { error: "internal error" });
      else res.destroy();
    };
    // Mounts are called directly (after the three service routes): an API request makes no closure or promise here.
    const reserved = path === "/healthz" || path === "/readyz" || path === "/metrics";
    const mount = reserved ? undefined : mounts.find((m) => path === m.prefix || path.startsWith(`${m.prefix}/`));
    if (mount) {
      try {
        mount.handle(req, res)?.catch(fail);
      } catch (err) {
        fail(err);
      }
      return;
    }
    const route = async () => {
      if (path === "/healthz") return json(res, 200, { status: "ok" });
      if (path === "/readyz") {
        const results = await Promise.all(
          checks.map(async (c) => {
            const r = await c.check();
            return { name: c.name, ...(typeof r === "boolean" ? { ok: r } : r) };
          }),
        );
        const ready = results.every((r) => r.ok);
        const reasons = results.filter((r) => !r.ok && r.reason).map((r) => [r.name, r.reason]);
        const warnings = results.filter((r) => r.warning).map((r) => [r.name, r.warning]);
        return json(res, ready ? 200 : 503, {
          status: ready ? "ready" : "not ready",
          checks: Object.fromEntries(results.map((r) => [r.name, r.ok ? "ok" : "down"])),
          ...(reasons.length > 0 ? { reasons: Object.fromEntries(reasons) } : {}),
          ...(warnings.length > 0 ? { warnings: Object.fromEntries(warnings) } : {}),
          ...deps.readyDetail?.(),
        });
      }
      if (path === "/metrics") {
        if (deps.metricsToken && !bearerMatches(req.headers.authorization, deps.metricsToken)) {
          res.setHeader("WWW-Authenticate", METRICS_CHALLENGE);
          return json(res, 401, { error: "/metrics requires its token (Authorization: Bearer <token>)" });
        }
        res.writeHead(200, { "Content-Type": metrics.registry.contentType });
        return res.end(await metrics.text());
      }
      if (path === "/favicon.ico") {
        res.writeHead(200, { "Content-Type": "text/plain" });
        return res.end();
      }
      if (path === "/") {
        // A browser gets the dashboard; API clients keep the JSON index.
        const dashboard = mounts.find((m) => m.prefix === "/dashboard");
        if (dashboard && (req.headers.accept ?? "").includes("text/html")) return dashboard.handle(req, res);
        return json(res, 200, {
          service: "stats-server",
          endpoints: [...mounts.map((m) => m.prefix), "/healthz", "/readyz", "/metrics"],
        });
      }
      return json(res, 404, { error: "not found" });
    };
    route().catch(fail);
  };

  return {
    handler,
    start(port, host = "127.0.0.1") {
      // Each response takes its CORS headers into the head it writes (see CorsResponse).
      server = createServer({ ServerResponse: CorsResponse }, handler);
      server.keepAliveTimeout = 65_000;
      server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        const path = (req.url ?? "/").split("?")[0] as string;
        const mount = mounts.find((m) => m.upgrade && (path === m.prefix || path.startsWith(`${m.prefix}/`)));
        if (mount?.upgrade && !upgradeAllowed(corsOrigins, req.headers.origin)) {
          socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        } else if (mount?.upgrade) mount.upgrade(req, socket, head);
        else socket.destroy();
      });
      const s = server;
      return new Promise((resolve, reject) => {
        s.once("error", reject);
        s.listen(port, host, () => {
          const addr = s.address();
          const bound = typeof addr === "object" && addr ? addr.port : port;
          const shown = host.includes(":") ? `[${host}]` : host;
          resolve({ port: bound, host, url: `http://${shown === "0.0.0.0" ? "127.0.0.1" : shown}:${bound}` });
        });
      });
    },
    async stop() {
      await Promise.all(mounts.map((m) => m.close?.()));
      const s = server;
      if (!s) return;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
