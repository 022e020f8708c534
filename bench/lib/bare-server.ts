// Baseline server of bench/api: a bare Fastify app, logger off, with one POST route at the
// Flow API's path that parses the same JSON body and answers 201 with a small JSON, and
// nothing else (no schema, no engine). Listens on 127.0.0.1 on a free port and prints one
// JSON line with its address; stops on SIGTERM/SIGINT.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
let count = 0;

app.post<{ Params: { id: string }; Body: { person?: unknown } }>('/flows/:id/participants', async (req, reply) => {
  count += 1;
  return reply.status(201).send({ personId: `p_${count}`, entered: req.body.person !== undefined, participantId: `${req.params.id}_${count}` });
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(JSON.stringify({ msg: 'bare Fastify is listening', address }));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
