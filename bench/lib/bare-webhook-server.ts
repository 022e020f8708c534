// Baseline server of bench/webhook: a bare Fastify app, logger off, with one POST route at
// Twilio's webhook path that parses the same form body (URLSearchParams into an object, as
// Junction's module routes do) and answers 200 with the same empty TwiML, and nothing else (no
// signature check, no schema, no engine, no store). Listens on 127.0.0.1 on a free port and
// prints one JSON line with its address; stops on SIGTERM/SIGINT.
import Fastify from 'fastify';

const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

const app = Fastify({ logger: false });
let count = 0;

app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body: string, done) => {
  done(null, Object.fromEntries(new URLSearchParams(body)));
});

app.post<{ Body: { MessageSid?: string } }>('/webhooks/twilio', async (req, reply) => {
  if (req.body.MessageSid !== undefined) count += 1;
  return reply.status(200).header('content-type', 'text/xml').send(TWIML);
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(JSON.stringify({ msg: 'bare Fastify is listening', address }));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
