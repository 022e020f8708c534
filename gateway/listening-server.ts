// Serving the app on a server that listens already, instead of the app listening itself: in
// cluster mode the standby's (bin/standby.ts), which keeps Junction's port through a takeover so
// that no connection is refused. The server keeps the connection limits it was made with
// (connection-limits.ts) and, once the app is ready, is given its requests. It is closed with
// the app the way Fastify closes a server it listens on: no new connection from the app's close
// on, and the requests in flight answered before the app's onClose hooks release what they use.
import type { RequestListener, Server } from 'node:http';
import type { FastifyInstance, FastifyServerFactory } from 'fastify';

/** A server that listens already and answers by itself until `serve` gives it the app's handler. */
export interface ListeningServer {
  readonly server: Server;
  /** From now on `handler` answers the server's requests. */
  serve(handler: RequestListener): void;
}

/** Fastify's serverFactory for `listening`, and the hooks that serve and close it with the app (called once the app's other hooks are added). */
export function adopt(listening: ListeningServer): { serverFactory: FastifyServerFactory; hook(app: FastifyInstance): void } {
  const { server } = listening;
  let handler: RequestListener | undefined;
  const serverFactory: FastifyServerFactory = (appHandler) => {
    handler = appHandler as RequestListener;
    return server;
  };
  const hook = (app: FastifyInstance): void => {
    let closed = Promise.resolve();
    app.addHook('onReady', async () => listening.serve(handler!));
    app.addHook('preClose', async () => {
      closed = new Promise((resolve) => server.close(() => resolve()));
    });
    // Added last, it runs before the app's other onClose hooks (Fastify runs them newest first).
    app.addHook('onClose', async () => {
      await closed;
    });
  };
  return { serverFactory, hook };
}
