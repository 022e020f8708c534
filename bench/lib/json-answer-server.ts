// The called service of bench/callapi: a plain node:http server that reads each POST's JSON
// body and answers at once with a small JSON (the order's points and tier, from the number in
// the path /orders/o<n>) and an X-Request-Id header. GET /stats answers how many POSTs it
// took and their body and header bytes, so the bench can check both sides sent the same.
// Listens on 127.0.0.1, on the port in its first argument (0: a free one), prints one JSON
// line with its address; stops on SIGTERM/SIGINT.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AnswerServerStats {
  requests: number;
  bodyBytes: number;
  headerBytes: number;
  /** Bodies that were not JSON. */
  malformed: number;
}

const stats: AnswerServerStats = { requests: 0, bodyBytes: 0, headerBytes: 0, malformed: 0 };

function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
  stats.requests++;
  stats.bodyBytes += Buffer.byteLength(body);
  for (const part of req.rawHeaders) stats.headerBytes += part.length;
  try {
    JSON.parse(body);
  } catch {
    stats.malformed++;
  }
  const points = Number(/^\/orders\/o(\d+)$/.exec(req.url ?? '')?.[1] ?? -1);
  const json = JSON.stringify({ customer: { points, tier: 'gold' }, received: true });
  res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `r${stats.requests}` }).end(json);
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => answer(req, res, body));
});
server.keepAliveTimeout = 60_000;

const port = Number(process.argv[2] ?? 0);
server.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address() as AddressInfo;
  console.log(JSON.stringify({ msg: 'JSON answer server is listening', address: `http://127.0.0.1:${bound}` }));
});
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
