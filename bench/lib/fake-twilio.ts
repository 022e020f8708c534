// Twilio's Messages API as far as Junction uses it, for bench/webhook: a plain node:http server
// on 127.0.0.1 (keep-alive, so Junction's connection pool reuses its connections) that accepts
// every POST …/Accounts/{AC…}/Messages.json with HTTP Basic auth and a form carrying To, From
// and Body, answers 201 with a sid, and counts: messages accepted, distinct recipients (a
// second send to one would be a retry or a duplicate), anything else it was asked.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

export interface FakeTwilio {
  /** Base URL for JUNCTION_TWILIO_API_BASE_URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Messages accepted (answered 201). */
  sent(): number;
  /** Messages to a recipient that had one already. */
  duplicates(): number;
  /** Requests that were not a well-formed send (answered 400). */
  malformed(): number;
  /** The first welcome text received, to show the reply is the flow's. */
  sample(): string | undefined;
  close(): Promise<void>;
}

export async function startFakeTwilio(accountSid: string, authToken: string): Promise<FakeTwilio> {
  const path = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  const recipients = new Set<string>();
  let sent = 0;
  let duplicates = 0;
  let malformed = 0;
  let sample: string | undefined;
  const answer = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const form = new URLSearchParams(body);
    const to = form.get('To');
    if (req.method !== 'POST' || req.url !== path || req.headers.authorization !== authorization || !to || !form.get('From') || !form.get('Body')) {
      malformed += 1;
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"code":21602,"message":"bench: not a send","status":400}');
      return;
    }
    sent += 1;
    if (recipients.has(to)) duplicates += 1;
    else recipients.add(to);
    sample ??= form.get('Body') ?? undefined;
    res.writeHead(201, { 'content-type': 'application/json' }).end(`{"sid":"SM${String(sent).padStart(32, '0')}","status":"queued"}`);
  };
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => answer(req, res, body));
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent: () => sent,
    duplicates: () => duplicates,
    malformed: () => malformed,
    sample: () => sample,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
