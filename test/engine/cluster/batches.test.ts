// Flow API batches in a sharded cluster of two processes over four shards: a batch of people of
// every shard, through either process, lands each accepted person in their shard, keeps the
// rejected ones' reasons at their places, and answers one report (one directory query), read
// back through the other process (the Flow API's report and the commercial shape's); people named
// by keys of several home shards are found where held or made in their first key's home; a retry
// with the same Idempotency-Key adds nobody twice and answers the same report, the key with
// another body is refused, a paused flow refuses the whole call, a retry of a call that failed on
// one shard adds only the places no shard kept, and the report outlives a
// process stopping (the other takes its shards and reads it from them).
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { flow, pauseDays } from '../helpers.js';
import { shardOfContact, shardOfPersonId } from '../../../engine/cluster/shard-of.js';
import type { Directory } from '../../../engine/cluster/directory.js';
import type { ShardedProcess } from '../../../engine/cluster/sharded-process.js';
import { requestHash } from '../../../engine/runtime/operations.js';
import { unlessPostgres } from '../store/postgres-service.js';
import { call, clusterOf, eventually, type TestCluster } from './cluster-service.js';

const skip = await unlessPostgres(t);
const SHARDS = 4;




/** Two phones of each shard. */
function phonesOfEveryShard(): string[] {
  const found: string[][] = Array.from({ length: SHARDS }, () => []);
  for (let n = 0; found.some((f) => f.length < 2); n++) {
    const phone = `+1415555${String(1000 + n).padStart(4, '0')}`;
    const f = found[shardOfContact(phone, SHARDS)]!;
    if (f.length < 2) f.push(phone);
  }
  return found.flat();
}

/** The directory queries a process made so far (its directory is its own). */
function directoryQueries(process: ShardedProcess): number {
  return (process as unknown as { parts: { directory: Directory } }).parts.directory.queries;
}

/** The engine serving `shard` in the running processes. */
function engineOf(cluster: TestCluster, shard: number) {
  return cluster.processes.map((p) => p.process.engineOf(shard)).find((e) => e !== undefined)!;
}

/** Launches `id` through `a`; resolves once `b` reads it with `status`. */
async function launched(a: FastifyInstance, b: FastifyInstance, id: string, status = 'active'): Promise<void> {
  await call(a, 'POST', '/api/v1/flows', flow(id, [pauseDays('wait', 1)], { variables: [{ name: 'source', type: 'text' }] }));
  await call(a, 'POST', `/api/v1/flows/${id}/launch`);
  if (status === 'paused') await call(a, 'POST', `/api/v1/flows/${id}/pause`);
  await eventually(() => call(b, 'GET', `/api/v1/flows/${id}`), (r) => r.body?.status === status);
}

t.test('a batch of people named by a phone and an email of different home shards: each found where held, or made in the first one’s home', { skip }, async (t) => {
  const cluster = await clusterOf(t, { processes: 2, shards: SHARDS });
  const [a, b] = cluster.processes.map((p) => p.app) as [FastifyInstance, FastifyInstance];
  await launched(a, b, 'welcome');
  const pairs = [0, 1].map((n) => {
    for (let i = 0; ; i++) {
      const [phone, email] = [`+1415556${String(1000 + 100 * n + i)}`, `p${n}-${i}@example.com`];
      if (shardOfContact(phone, SHARDS) !== shardOfContact(email, SHARDS)) return [phone, email] as const;
    }
  });
  const known = (await call(a, 'POST', '/api/v1/people', { emails: [pairs[0]![1]] })).body.id as string;
  const added = await call(b, 'POST', '/api/v1/flows/welcome/participants', { participants: pairs.map(([phone, email]) => ({ person: { phones: [phone], emails: [email] } })) });
  t.equal(added.status, 200, JSON.stringify(added.body));
  const [first, second] = added.body.participants as Array<{ personId: string }>;
  t.equal(first!.personId, known, 'the person made from the email, found by it in its home shard');
  t.equal(shardOfPersonId(second!.personId, SHARDS), shardOfContact(pairs[1]![0], SHARDS), 'nobody had either: made in the home of the phone');
});

t.test('a Flow API batch over the shards of a cluster: one report, in order, kept by the shards', { skip }, async (t) => {
  const cluster = await clusterOf(t, { processes: 2, shards: SHARDS });
  const [a, b] = cluster.processes.map((p) => p.app) as [FastifyInstance, FastifyInstance];
  await launched(a, b, 'welcome');
  await launched(a, b, 'held', 'paused');

  const phones = phonesOfEveryShard();
  const participants = [
    ...phones.slice(0, 4).map((phone) => ({ person: { phones: [phone] }, variables: { source: 'web' } })),
    { person: { phones: ['+14155559999'] }, variables: { unknown: 1 } },
    { person: { phones: ['+14155559998'] }, extra: true },
    ...phones.slice(4).map((phone) => ({ person: { phones: [phone] } })),
  ];
  const key = { 'idempotency-key': 'batch-1' };
  const queries = directoryQueries(cluster.processes[0]!.process);
  const added = await call(a, 'POST', '/api/v1/flows/welcome/participants', { participants, callbackData: 'cb' }, key);
  t.equal(added.status, 200, JSON.stringify(added.body));
  t.equal(directoryQueries(cluster.processes[0]!.process) - queries, 1, 'one directory query for the whole batch');
  const report = added.body;
  t.equal(report.participants.length, participants.length, 'everyone reported');
  t.match(report, { flowId: 'welcome', callbackData: 'cb', accepted: 8, rejected: 2 });
  t.match(report.participants[4], { status: 'rejected', reason: 'JCT_VARIABLE_UNKNOWN' }, "a shard's refusal at its place");
  t.match(report.participants[5], { status: 'rejected', reason: 'JCT_PARTICIPANT_INVALID' }, 'a participant refused by the request at its place');
  t.notOk(report.participants.some((p: object) => 'position' in p), 'the places inside are not shown');

  const accepted = report.participants.filter((p: { status: string }) => p.status === 'accepted');
  const shardsOf = accepted.map((p: { personId: string }) => shardOfPersonId(p.personId, SHARDS));
  t.same(shardsOf, phones.map((phone) => shardOfContact(phone, SHARDS)), 'in the order sent, each person made by the shard of their phone');
  t.same([...new Set(shardsOf)].sort(), [0, 1, 2, 3], 'people of every shard');
  for (const [i, p] of accepted.entries()) {
    t.equal(engineOf(cluster, shardsOf[i]).people.get(p.personId)?.phones?.[0], phones[i], `person ${i} is in their shard`);
  }

  const url = `/api/v1/flows/welcome/participants/report?operationId=${report.operationId}`;
  t.same((await call(b, 'GET', url)).body, report, 'the same report read through the other process');

  const retried = await call(b, 'POST', '/api/v1/flows/welcome/participants', { participants, callbackData: 'cb' }, key);
  t.equal(retried.status, 200);
  t.equal(retried.headers['idempotent-replayed'], 'true', 'answered as a replay');
  t.same(retried.body, report, "the first call's report");
  const journeys = await Promise.all(accepted.map((p: { personId: string }) => call(b, 'GET', `/api/v1/people/${p.personId}/journeys`)));
  t.same(journeys.map((j) => j.body.journeys.length), accepted.map(() => 1), 'nobody added twice');

  const other = [...participants.slice(0, 3), { person: { phones: ['+14155559997'] } }];
  const reused = await call(b, 'POST', '/api/v1/flows/welcome/participants', { participants: other }, key);
  t.match(reused, { status: 422, body: { error: { code: 'JCT_IDEMPOTENCY_KEY_REUSED' } } }, 'the key with another body is refused');
  t.equal((await call(a, 'GET', `/api/v1/people?phone=${encodeURIComponent('+14155559997')}`)).status, 404, 'adding nobody');

  const moments = await call(b, 'POST', '/moments/1/flows/welcome/participants', {
    participants: phones.map((phone) => ({ identifyBy: { identifier: phone.slice(1), type: 'PHONE' } })).concat([{ identifyBy: { identifier: 'x', type: 'WHATSAPP' } }]),
  });
  t.equal(moments.status, 200, JSON.stringify(moments.body));
  const shape = await call(a, 'GET', `/moments/1/flows/welcome/participants/report?operationId=${moments.body.operationId}`);
  t.same(
    shape.body.participants,
    [...phones.map((phone) => ({ identifyBy: { identifier: phone.slice(1), type: 'PHONE' }, status: 'ACCEPTED' })), { identifyBy: { identifier: 'x', type: 'WHATSAPP' }, status: 'REJECTED', errorReason: 'REJECTED_INVALID_CONTACT' }],
    "the commercial shape's report, in order, through the other process",
  );

  const held = await call(b, 'POST', '/api/v1/flows/held/entry-points/start/participants', { participants: [{ person: { phones: ['+14155559996'] } }, ...participants.slice(0, 2)] });
  t.match(held, { status: 409, body: { error: { code: 'JCT_FLOW_STATUS', details: { status: 'paused' } } } }, 'a paused flow refuses the whole call');
  t.equal((await call(a, 'GET', `/api/v1/people?phone=${encodeURIComponent('+14155559996')}`)).status, 404, 'adding nobody');
  const unknownEntry = await call(a, 'POST', '/api/v1/flows/welcome/entry-points/nope/participants', { participants: [{ person: { phones: ['+14155559996'] } }] });
  t.match(unknownEntry, { body: { error: { code: 'JCT_ENTRY_UNKNOWN' } } }, 'no such entry point refuses the whole call');
  t.equal((await call(a, 'GET', `/api/v1/people?phone=${encodeURIComponent('+14155559996')}`)).status, 404, 'adding nobody');

  // A first call that failed on one shard: only the other shard kept its part (as the facade sends it).
  const core = cluster.processes[1]!.process.core;
  const [p0, p1] = [phones[0]!, phones[2]!].map((phone) => ({ person: { phones: [phone] } }));
  const part = await engineOf(cluster, shardOfContact(phones[0]!, SHARDS)).addParticipants('welcome', [{ ...p0!, position: 0 }], {
    idempotencyKey: 'half',
    operationId: 'op-half',
    requestHash: requestHash([p0!, p1!], undefined, {}),
  });
  const completed = await core.addParticipants('welcome', [p0!, p1!], { idempotencyKey: 'half' });
  t.equal(completed.operationId, 'op-half', "the retry completes the first call's operation");
  t.notOk(completed.repeated, 'not a replay: someone was added now');
  t.match(completed.participants[0], { status: 'accepted', participantId: (part.participants[0] as { participantId?: string }).participantId }, 'the place kept is answered as kept, not added again');
  t.match(completed.participants[1], { status: 'accepted' }, 'the place left out is added now');
  t.same(await core.addParticipants('welcome', [p0!, p1!], { idempotencyKey: 'half' }), { ...completed, repeated: true }, 'then a replay of the whole');

  await cluster.processes[0]!.stop();
  await cluster.settled();
  t.same(cluster.processes[1]!.process.shards(), [0, 1, 2, 3], 'the other process took every shard');
  t.same((await call(b, 'GET', url)).body, report, 'the report, read back from the shards after they moved');
});
