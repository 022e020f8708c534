// Cluster operations applied to shards' engines: two engines (clocks apart) applying the same
// log from the real Postgres end with the same flows, versions, statuses and their times,
// templates, definitions, segments and do-not-contact list; an entry is applied once however
// often it is read; its meta row is written in the batch of its change (a store holds both or
// neither); an operation a shard refuses still counts as applied; passes over the log run one at
// a time and calls made meanwhile share the next.
import t, { type Test } from 'tap';
import { Engine } from '../../../engine/runtime/engine.js';
import { VirtualClock } from '../../../engine/clock.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { GroupCommit, MemoryBackend, type Batch } from '../../../engine/store/journal.js';
import { ClusterLog } from '../../../engine/cluster/postgres-cluster-log.js';
import { applyClusterOperation, clusterApplied, type ClusterOperation, type ClusterOutcome } from '../../../engine/runtime/cluster-operations.js';
import { applyPending } from '../../../engine/cluster/apply-log.js';
import { PG_URL, tempSchema, unlessPostgres } from '../store/postgres-service.js';
import { flow, pauseDays, registryWith } from '../helpers.js';

const skip = await unlessPostgres(t);

const T0 = Date.parse('2026-01-05T09:00:00Z');
const MINUTE = 60_000;

/** A shard's engine over `backend`, its clock at `start`, recovered from what the backend holds. */
function shard(backend = new MemoryBackend(), start = '2026-01-05T09:00:00Z'): { engine: Engine; backend: MemoryBackend } {
  const clock = new VirtualClock(start);
  const engine = new Engine({ clock, people: new MemoryPeopleStore(clock), registry: registryWith(), journal: new GroupCommit(backend, { flushMs: 0 }), partitions: 2 });
  engine.recover(backend);
  t.teardown(() => engine.close());
  return { engine, backend };
}

/** The operations of the test, `at` a minute apart. */
const OPERATIONS: ReadonlyArray<Record<string, unknown>> = [
  { kind: 'define', definition: 'attributes', item: { name: 'tier', type: 'text' } },
  { kind: 'define', definition: 'segments', item: { id: 'vip', name: 'VIPs', kind: 'realtime', rules: { any: [{ attribute: 'tier', operator: 'is', value: 'gold' }] } } },
  { kind: 'save', doc: flow('f', [pauseDays('hold', 5)]), version: 1 },
  { kind: 'launch', flowId: 'f', version: 1 },
  { kind: 'pause', flowId: 'f' },
  { kind: 'resume', flowId: 'f' },
  { kind: 'schedule', flowId: 'f', schedule: { end: '2026-03-01T00:00' } },
  { kind: 'saveTemplate', flowId: 'f', templateId: 'tpl', name: 'Hold' },
  { kind: 'draftFromTemplate', templateId: 'tpl', newFlowId: 'g' },
  { kind: 'save', doc: flow('f', [pauseDays('hold', 7)]), version: 2 },
  { kind: 'replaceSegment', item: { id: 'vip', name: 'VIPs', kind: 'realtime', rules: { any: [{ attribute: 'tier', operator: 'is', value: 'silver' }] } } },
  { kind: 'doNotContact', change: { op: 'add', entries: [{ channel: 'sms', contact: '+385912345678', senders: [] }, { channel: 'email', contact: 'ana@example.com', senders: ['news@example.com'] }] } },
  { kind: 'doNotContact', change: { op: 'remove', entries: [{ channel: 'sms', contact: '+385912345678', senders: [] }] } },
  { kind: 'launch', flowId: 'nope', version: 1 }, // refused on every shard: no such flow
];
const operations = OPERATIONS.map((op, i) => ({ ...op, at: T0 + i * MINUTE }) as ClusterOperation);

/** What every shard keeps once: flows with their versions, statuses and times, templates, definitions, segments, do-not-contact. */
function globalState(engine: Engine) {
  const values = <T>(ordered: { after(): Iterable<readonly [string, T]> }) => [...ordered.after()].map(([, v]) => v);
  return {
    flows: engine.flowRecords().map(({ id, version, status, statusAt, activatedAt, definition }) => ({ id, version, status, statusAt, activatedAt, definition })),
    templates: values(engine.templates()),
    attributes: [...engine.people.attributes().values()],
    segments: values(engine.people.segmentList()).map(({ definition: { id, name, kind } }) => ({ id, name, kind })),
    doNotContact: values(engine.people.doNotContact()),
    applied: clusterApplied(engine),
  };
}

async function logWith(t: Test, ops: readonly ClusterOperation[]): Promise<{ log: ClusterLog; seqs: number[] }> {
  const log = await ClusterLog.open({ url: PG_URL, schema: tempSchema(t, 'cluster_log_ops') });
  t.teardown(() => log.close());
  const seqs: number[] = [];
  for (const op of ops) seqs.push(await log.append(op));
  return { log, seqs };
}

t.test('two shards applying the same log keep the same global state, at the operations\' times', { skip }, async (t) => {
  const { log, seqs } = await logWith(t, operations);
  const a = shard(new MemoryBackend(), '2026-01-05T09:00:00Z');
  const b = shard(new MemoryBackend(), '2026-01-05T10:30:00Z'); // another clock: the times kept are the operations'
  const outcomes: Array<[number, ClusterOutcome]> = [];
  t.equal(await applyPending(a.engine, log, (seq, _op, outcome) => outcomes.push([seq, outcome])), operations.length);
  t.equal(await applyPending(b.engine, log), operations.length);
  const state = globalState(a.engine);
  t.same(globalState(b.engine), state, 'the same on both shards');
  t.same(state.flows.map((f) => [f.id, f.version, f.status]), [['f', 1, 'active'], ['f', 2, 'draft'], ['g', 1, 'draft']]);
  t.same(state.flows[0]!.activatedAt, T0 + 3 * MINUTE, 'launched at the launch operation\'s time');
  t.same(state.flows[0]!.statusAt, T0 + 5 * MINUTE, 'its status changed last at the resume operation\'s');
  t.equal((state.flows[0]!.definition.settings as { schedule?: unknown }).schedule !== undefined, true, 'the schedule changed');
  t.match(state.templates, [{ id: 'tpl', name: 'Hold', savedAt: T0 + 7 * MINUTE }]);
  t.same(state.segments, [{ id: 'vip', name: 'VIPs', kind: 'realtime' }]);
  t.same(state.doNotContact, [{ channel: 'email', contact: 'ana@example.com', senders: ['news@example.com'] }], 'added, and one removed again');
  t.equal(state.applied, seqs.at(-1));
  const [refusedSeq, refused] = outcomes.at(-1)!;
  t.equal(refusedSeq, seqs.at(-1));
  t.match(refused, { ok: false, error: { code: 'JCT_FLOW_UNKNOWN' } }, 'the refusal is answered, not thrown');
  t.equal(outcomes.filter(([, o]) => !o.ok).length, 1, 'every other operation applied');
  t.equal(await applyPending(a.engine, log), 0, 'a second pass finds nothing new');
});

t.test('an entry is applied once, however often it comes', async (t) => {
  const { engine } = shard();
  const save = operations[2]!;
  t.match(applyClusterOperation(engine, 7, save), { ok: true });
  t.equal(applyClusterOperation(engine, 7, save), undefined, 'the same number again: passed over');
  t.equal(applyClusterOperation(engine, 6, operations[3]!), undefined, 'an earlier number: passed over');
  t.same(engine.flowRecords().map((r) => [r.id, r.version, r.status]), [['f', 1, 'draft']], 'saved once, never launched');
  t.equal(clusterApplied(engine), 7);
});

t.test('the meta row goes in the batch of its change: a store holds both or neither', async (t) => {
  const backend = new MemoryBackend();
  const batches: Batch[] = [];
  const commit = backend.commit.bind(backend);
  backend.commit = (batch) => (batches.push(batch), commit(batch));
  const { engine } = shard(backend);
  applyClusterOperation(engine, 1, operations[2]!);
  const before = shard(backend);
  t.same([clusterApplied(before.engine), before.engine.flowRecords().length], [0, 0], 'before the commit: neither');
  await engine.journal.flush();
  const after = shard(backend);
  t.same([clusterApplied(after.engine), after.engine.flowRecords().map((r) => r.id)], [1, ['f']], 'after it: both');
  const withMeta = batches.filter((b) => b.get('meta')?.has('clusterLog'));
  t.equal(withMeta.length, 1);
  t.same([...withMeta[0]!.get('flow')!.keys()].length, 1, 'the flow row is in the same batch');
});

t.test('an operation the shard refuses is recorded as applied, across a restart', async (t) => {
  const { engine, backend } = shard();
  const outcome = applyClusterOperation(engine, 5, { kind: 'pause', flowId: 'nope', at: T0 });
  t.match(outcome, { ok: false, error: { code: 'JCT_FLOW_UNKNOWN' } });
  t.equal(clusterApplied(engine), 5);
  await engine.journal.flush();
  t.equal(clusterApplied(shard(backend).engine), 5, 'recovered from its meta row');
});

t.test('a save or launch of another version than the writer saw is refused as a divergence', async (t) => {
  const { engine } = shard();
  applyClusterOperation(engine, 1, operations[2]!);
  t.match(applyClusterOperation(engine, 2, { kind: 'save', doc: flow('f', []), version: 2, at: T0 }), { ok: false, error: { code: 'JCT_CLUSTER_DIVERGED', details: { expected: 2, here: 1 } } });
  t.match(applyClusterOperation(engine, 3, { kind: 'launch', flowId: 'f', version: 2, at: T0 }), { ok: false, error: { code: 'JCT_CLUSTER_DIVERGED' } });
  t.equal(engine.flowRecords()[0]!.status, 'draft', 'nothing launched');
});

t.test('passes over the log run one at a time; calls made meanwhile share the next', { skip }, async (t) => {
  const { log } = await logWith(t, operations.slice(0, 4));
  const { engine } = shard();
  const first = applyPending(engine, log);
  const second = applyPending(engine, log);
  const third = applyPending(engine, log);
  t.equal(second, third, 'one queued pass for both');
  t.same(await Promise.all([first, second, third]), [4, 0, 0]);
  t.equal(engine.flowRecords()[0]!.status, 'active');
});
