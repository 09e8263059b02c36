/**
 * A TCP forwarder whose target can change: a stable address in front of whichever Redis is the
 * primary now (what a failover behind a DNS name or a virtual IP looks like to a client).
 * Open connections stay with the server they were opened to; new ones go to the current target.
 */
import { createServer, type Socket, connect as tcpConnect } from "node:net";

export interface SwitchProxy {
  port: number;
  /** New connections go to `port` from now on. */
  retarget(port: number): void;
  close(): Promise<void>;
}

export async function startSwitchProxy(initialPort: number): Promise<SwitchProxy> {
  let target = initialPort;
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const server = tcpConnect(target, "127.0.0.1");
    for (const s of [client, server]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        server.destroy();
      });
    }
    client.pipe(server);
    server.pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const addr = proxy.address();
  return {
    port: typeof addr === "object" && addr ? addr.port : 0,
    retarget(port) {
      target = port;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        proxy.close(() => resolve());
      }),
  };
}
