// What every journal backend's test file checks the same way: rows written in two batches read
// back as the in-memory backend holds them (deletes, the last write of a key in a batch), an
// engine on a new connection recovering the participants, history and metrics another wrote, a
// batch holding a value with no JSON form refused whole before any backend sees it, and load()
// serving each table once, before the first commit, with a reopened store seeing every commit.
import type { Test } from 'tap';
import { batchOf, GroupCommit, MemoryBackend, TABLES, type JournalBackend, type Row, type Table } from '../../../engine/store/journal.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { VirtualClock } from '../../../engine/clock.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { flow, pauseDays, registryWith, tag } from '../helpers.js';

const DAY = 24 * 3600 * 1000;

export function dump(backend: JournalBackend): Record<string, [string, unknown][]> {
  return Object.fromEntries(TABLES.map((table) => [table, [...backend.load(table)]]));
}

export function rowsOf(table: Table, entries: [string, unknown][]): Row[] {
  return entries.map(([key, value]) => ({ table, key, value }));
}

/** A batch over several tables with `bad` among its rows: person p1 changed, p2 added, outbox o2…o101, meta m. */
export function batchAround(bad: Row): Row[] {
  return [
    { table: 'person', key: 'p1', value: { name: 'changed' } },
    { table: 'person', key: 'p2', value: { name: 'Bob' } },
    ...rowsOf('outbox', Array.from({ length: 100 }, (_, i): [string, unknown] => [`o${i + 2}`, i])),
    bad,
    { table: 'meta', key: 'm', value: 1 },
  ];
}

/** A value with no JSON form (a BigInt, undefined, a cycle) fails its whole batch in batchOf(), naming its row. */
export function refusesValuesWithNoJsonForm(t: Test): void {
  t.throws(() => batchOf(batchAround({ table: 'outbox', key: 'o1', value: { big: 1n } })), { code: 'JCT_STORE_VALUE', message: /outbox row 'o1'/ });
  t.throws(() => batchOf([{ table: 'meta', key: 'm', value: undefined }]), { code: 'JCT_STORE_VALUE' });
  const cycle: Record<string, unknown> = {};
  cycle['self'] = cycle;
  t.throws(() => batchOf(batchAround({ table: 'seen', key: 's', value: cycle })), { code: 'JCT_STORE_VALUE', message: /seen row 's'/ });
}

/** On a new, empty store: load() serves each table once and none after a commit, nor an unknown one; it commits a flow and a seen row. */
export async function loadsEachTableOnce(t: Test, first: JournalBackend): Promise<void> {
  t.same([...first.load('flow')], []);
  t.throws(() => first.load('flow'), { code: 'JCT_STORE_LOADED' });
  await first.commit(batchOf([{ table: 'flow', key: 'welcome', value: { v: 1 } }]));
  await first.commit(batchOf([{ table: 'seen', key: 'msg-1', value: 1 }]));
  t.throws(() => first.load('seen'), { code: 'JCT_STORE_LOADED' }, 'a commit lets go of the rows read at open');
  t.throws(() => first.load('nope' as Table), { code: 'JCT_STORE_TABLE_UNKNOWN' });
}

/** After loadsEachTableOnce(): `first` closed (twice: the second does nothing), the store opened again holds both commits. */
export async function reopenedSeesCommits(t: Test, first: JournalBackend, reopen: () => Promise<JournalBackend>): Promise<void> {
  await first.close();
  await first.close();
  const again = await reopen();
  t.same([...again.load('flow')], [['welcome', { v: 1 }]]);
  t.same([...again.load('seen')], [['msg-1', 1]]);
}

export function binaryOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Two batches over every table: values of every JSON kind, then replacements, deletes and several writes of one key. */
function roundTripBatches(): Row[][] {
  const first = TABLES.flatMap((table) =>
    rowsOf(table, [
      ['b', { n: 1, nested: { list: [1, 'two', null, true], text: 'héllo "quoted" \\ \n line \u0000 nul' } }],
      ['a', 'plain string'],
      ['10', 42.5],
      ['9', [{ x: -1 }]],
      ['é', false],
      ['gone', 1],
    ]),
  );
  const second = TABLES.flatMap((table) =>
    rowsOf(table, [
      ['a', { replaced: true }],
      ['b', null],
      ['never-written', null],
      ['9', 'first in batch'],
      ['9', 'last in batch'],
      ['upsert-then-delete', 1],
      ['upsert-then-delete', null],
      ['delete-then-upsert', null],
      ['delete-then-upsert', { back: true }],
      ['gone', null],
      ['gone', 2],
      ['gone', null],
    ]),
  );
  return [first, second];
}

/**
 * Commits the two batches through `writer`, then reads them back through `reopen()` (the same
 * store, opened again when `writer` needs closing first) and compares with the in-memory backend.
 */
export async function roundTrips(t: Test, writer: JournalBackend, reopen: () => JournalBackend | Promise<JournalBackend>): Promise<void> {
  const memory = new MemoryBackend();
  for (const batch of roundTripBatches()) {
    await writer.commit(batchOf(batch));
    memory.commit(batchOf(batch));
  }
  await writer.commit(batchOf([]));
  const reader = await reopen();
  t.same(dump(reader), dump(memory));
  t.same([...memory.load('participant')], [
    ['10', 42.5],
    ['9', 'last in batch'],
    ['a', { replaced: true }],
    ['delete-then-upsert', { back: true }],
    ['é', false],
  ]);
}

/**
 * An engine over GroupCommit on `first` takes three people into a one-day Pause and closes; an
 * engine on `second` (a new connection to the same store) recovers them as they were, with
 * their entry history and metrics, and moves them on; the store then holds no participant.
 */
export async function recoversAcrossEngines(t: Test, first: JournalBackend, second: () => Promise<JournalBackend>): Promise<void> {
  const clock = new VirtualClock('2026-03-02T09:00:00Z');
  const engineOn = (backend: JournalBackend) => {
    const people = new MemoryPeopleStore(clock);
    return { people, engine: new Engine({ clock, people, registry: registryWith(), journal: new GroupCommit(backend, { flushMs: 0 }), partitions: 4 }) };
  };
  const a = engineOn(first);
  t.match(a.engine.recover(first), { participants: 0, people: 0 });
  a.engine.save(flow('f', [pauseDays('p', 1, 't'), tag('t', 'woke')], { reentry: { enabled: false } }));
  a.engine.launch('f');
  const ids: string[] = [];
  for (const person of ['ana', 'bo', 'čedo']) ids.push((await a.engine.submit(person, { kind: 'flow.enter', flowId: 'f', person: { id: person } })).participantId!);
  await a.engine.close();
  await first.close();

  const reopened = await second();
  const b = engineOn(reopened);
  t.match(b.engine.recover(reopened), { participants: 3, people: 3 });
  for (const id of ids) t.same(b.engine.participant(id), a.engine.participant(id), `${id} is back as it was`);
  t.equal(b.engine.metrics('f').profilesInFlow, 3);
  t.match(await b.engine.submit('ana', { kind: 'flow.enter', flowId: 'f' }), { entered: false, reason: 'JCT_PERSON_IN_FLOW' }, 'entry history came back (its keys hold U+0000)');
  clock.advance(DAY);
  await b.engine.idle();
  t.same(['ana', 'bo', 'čedo'].map((id) => b.people.get(id)!.tags), [['woke'], ['woke'], ['woke']]);
  t.equal(b.engine.metrics('f').profilesExited, 3);
  await b.engine.close();
}

/** Keys that sort differently by UTF-16 code units, by code points and by UTF-8 bytes, and that text formats escape. */
const TRICKY_KEYS = ['', '\u0000', 'a', 'a\u0000', 'a\u0000b', 'a\u0001', 'a\u0001\u0002', 'a\u0002', 'ab', 'B', 'b', 'Z', 'z', 'é', 'e', 'ß', '\ue000', '\uffff', '～', '😀', '𝄞', 'flow\u0000person-1', 'flow\u0001', 'tab\there', 'new\nline', 'cr\r', '\\', 'back\\slash\\n', '\b\f\v\u0007', '\\\t'];

/**
 * Writes the tricky keys and `count` more through `writer`, reads them back through `reopen()`,
 * and checks they load in the binary order of their UTF-8 bytes, each once. `count` should be
 * more than one page of the store's read (`pages` says which, in the message).
 */
export async function keysLoadInBinaryOrder(t: Test, writer: JournalBackend, reopen: () => Promise<JournalBackend>, count: number, pages: string): Promise<void> {
  const many = Array.from({ length: count }, (_, i) => `${['a', 'b', '\u0000', 'é', '~', '😀', 'Z'][i % 7]}${(i * 7919) % count}${i % 3 === 0 ? '\u0000x' : ''}`);
  const keys = [...new Set([...TRICKY_KEYS, ...many])];
  await writer.commit(batchOf(keys.map((key, i) => ({ table: 'history', key, value: i }))));
  await writer.close();
  const loaded = [...(await reopen()).load('history')];
  const expected = [...keys].sort(binaryOrder);
  t.equal(loaded.length, keys.length, `every key once, more than one ${pages}`);
  t.ok(
    loaded.every(([key], i) => key === expected[i]),
    'in binary order',
  );
  t.same(loaded.map(([key]) => key).filter((key) => TRICKY_KEYS.includes(key)), [...TRICKY_KEYS].sort(binaryOrder));
  t.ok(binaryOrder('～', '😀') < 0 && '～' > '😀', 'the order is of UTF-8 bytes, not of UTF-16 code units');
  t.same(loaded.find(([key]) => key === 'a\u0001\u0002'), ['a\u0001\u0002', keys.indexOf('a\u0001\u0002')], 'an escape character round-trips');
  t.same(loaded.find(([key]) => key === 'a\u0000b'), ['a\u0000b', keys.indexOf('a\u0000b')], 'U+0000 round-trips');
}
