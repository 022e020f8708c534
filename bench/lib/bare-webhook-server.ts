// Baseline server of bench/webhook and bench/ivr: a bare Fastify app, logger off, with POST
// routes that parse the same form body (URLSearchParams into an object, as Junction's module
// routes do) and answer 200 with a fixed TwiML document, and nothing else (no signature check,
// no schema, no engine, no store). Its routes and documents: a JSON object of path → TwiML as
// the first argument (bench/ivr: the documents Junction answered), by default Twilio's SMS
// webhook path with an empty TwiML (bench/webhook). Listens on 127.0.0.1 on a free port and
// prints one JSON line with its address; stops on SIGTERM/SIGINT.
import Fastify from 'fastify';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
const routes = (process.argv[2] === undefined ? { '/webhooks/twilio': EMPTY_TWIML } : JSON.parse(process.argv[2])) as Record<string, string>;

const app = Fastify({ logger: false });
let count = 0;

app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body: string, done) => {
  done(null, Object.fromEntries(new URLSearchParams(body)));
});

for (const [path, twiml] of Object.entries(routes)) {
  app.post<{ Body: { MessageSid?: string; CallSid?: string } }>(path, async (req, reply) => {
    if (req.body.MessageSid !== undefined || req.body.CallSid !== undefined) count += 1;
    return reply.status(200).header('content-type', 'text/xml').send(twiml);
  });
}

const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(JSON.stringify({ msg: 'bare Fastify is listening', address }));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
