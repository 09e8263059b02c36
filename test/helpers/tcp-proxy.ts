/**
 * A TCP proxy between a client and a server (node:net) that can lose replies on purpose: the
 * client's request reaches the server and runs there, but the connection is cut before the
 * server's reply gets back. That is the failure that double-counts a naive retry.
 */
import { createServer, type Socket, connect as tcpConnect } from "node:net";

export interface TcpProxy {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Replies cut so far. */
  readonly cuts: number;
  /**
   * Cuts the next `n` replies that follow a client request matching `request`: the request is
   * forwarded, and when the server's next bytes arrive both sockets are destroyed instead.
   * With `letThrough` k, the k matching requests after each cut get their replies (so a client
   * that resends the request it lost a reply to is not cut again and again).
   */
  cutReplies(request: RegExp, n: number, opts?: { letThrough?: number }): void;
  stopCutting(): void;
  /** Destroys every open connection (both sides), as a network failure would. */
  dropAll(): void;
  close(): Promise<void>;
}

/** Matches a RESP request for EVAL or EVALSHA (how ioredis runs a Lua script). */
export const RESP_EVAL = /\$(?:7\r\nevalsha|4\r\neval)\r\n/i;

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const host = target.host ?? "127.0.0.1";
  const pairs = new Set<{ client: Socket; server: Socket }>();
  let accepted = 0;
  let cuts = 0;
  let cut: { request: RegExp; remaining: number; letThrough: number; skip: number } | undefined;

  const proxy = createServer((client) => {
    accepted++;
    const server = tcpConnect(target.port, host);
    const pair = { client, server };
    pairs.add(pair);
    let armed = false;
    // The request's name may straddle two TCP chunks: match over the tail of the previous one.
    let tail = "";
    const teardown = () => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      if (cut && cut.remaining > 0 && !armed) {
        const text = tail + chunk.toString("latin1");
        const matched = cut.request.test(text);
        tail = matched ? "" : text.slice(-16);
        if (matched) {
          if (cut.skip > 0) cut.skip--;
          else armed = true;
        }
      }
      server.write(chunk);
    });
    server.on("data", (chunk: Buffer) => {
      if (armed && cut && cut.remaining > 0) {
        cut.remaining--;
        cut.skip = cut.letThrough;
        cuts++;
        teardown();
        return;
      }
      armed = false;
      client.write(chunk);
    });
    client.on("error", teardown);
    server.on("error", teardown);
    client.on("close", teardown);
    server.on("close", teardown);
  });

  const dropAll = () => {
    for (const { client, server } of [...pairs]) {
      client.destroy();
      server.destroy();
    }
    pairs.clear();
  };

  await new Promise<void>((resolve, reject) => {
    proxy.once("error", reject);
    proxy.listen(0, "127.0.0.1", () => resolve());
  });
  const address = proxy.address();
  const port = typeof address === "object" && address ? address.port : 0;

  return {
    port,
    get accepted() {
      return accepted;
    },
    get cuts() {
      return cuts;
    },
    cutReplies(request, n, opts = {}) {
      cut = { request, remaining: n, letThrough: opts.letThrough ?? 0, skip: 0 };
    },
    stopCutting() {
      cut = undefined;
    },
    dropAll,
    async close() {
      const closed = new Promise<void>((resolve) => proxy.close(() => resolve()));
      dropAll();
      await closed;
    },
  };
}
