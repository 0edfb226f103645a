// Serves the console to the operator's browser on 127.0.0.1 in the root namespace by
// piping each TCP connection to the control plane's Unix socket. Nothing but this
// loopback listener is added to the root namespace.
import { connect, createServer, type Server, type Socket } from "node:net";

export interface ConsoleProxy {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port` (0 picks a free one) and forwards to `socketPath`. */
export async function startConsoleProxy(socketPath: string, port: number): Promise<ConsoleProxy> {
  const open = new Set<Socket>();
  const server: Server = createServer((incoming) => {
    const outgoing = connect(socketPath);
    open.add(incoming).add(outgoing);
    incoming.pipe(outgoing).pipe(incoming);
    for (const socket of [incoming, outgoing]) {
      socket.on("error", () => {
        incoming.destroy();
        outgoing.destroy();
      });
      socket.on("close", () => open.delete(socket));
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") {
        reject(new Error(`127.0.0.1:${port} is already in use; pass --port <free port> or --port 0`));
      } else reject(error);
    });
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;

  return {
    url: `http://127.0.0.1:${boundPort}`,
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
