// The compact participant table: round trips, removal, compaction keeping order, and refusing
// an out-of-order insert.
import t from 'tap';
import { ParticipantTable } from '../../engine/runtime/participant-table.js';
import { ParticipantStatus, type ParticipantState } from '../../engine/vocabulary.js';

const state = (seq: number, extra: Partial<ParticipantState> = {}): ParticipantState => ({
  id: `3.${seq.toString(36)}`,
  flowId: seq % 2 ? 'odd' : 'even',
  version: 1 + (seq % 3),
  personId: `p${seq % 7}`,
  node: seq % 11,
  status: ParticipantStatus.Waiting,
  waitUntil: 1_000 + seq,
  waitOn: seq % 2 ? 'event:reply' : '',
  waitFrom: seq % 5,
  vars: seq % 5 ? {} : { n: seq },
  replyAddress: seq % 3 ? '' : `sms:+385800100:+38591${seq}`,
  enteredAt: 500 + seq,
  steps: seq % 4,
  exitReason: undefined,
  ...extra,
});

/** Stores a participant at the sequence its id gives, as the engine's partitions do. */
const put = (table: ParticipantTable, s: ParticipantState): void => table.write(table.seqOf(s.id)!, s);

t.test('participants round-trip through the columns', async (t) => {
  const table = new ParticipantTable('3.');
  for (let seq = 1; seq <= 3000; seq++) put(table, state(seq));
  t.equal(table.size, 3000);
  for (const seq of [1, 2, 999, 3000]) t.same(table.get(`3.${seq.toString(36)}`), state(seq));
  put(table, state(5, { node: 9, waitOn: 'event:other', vars: { n: 1 } }));
  t.same(table.get('3.5'), state(5, { node: 9, waitOn: 'event:other', vars: { n: 1 } }), 'updated in place');
  put(table, state(6, { replyAddress: '' }));
  t.equal(table.get('3.6')!.replyAddress, '', 'a reply address written away is gone');
  put(table, state(7, { replyAddress: 'sms:+385800100:+385917' }));
  t.equal(table.get('3.7')!.replyAddress, 'sms:+385800100:+385917', 'and one written is kept');
  t.equal(table.get('4.5'), undefined, 'an id of another partition is not here');
  t.equal(table.get('3.zzzz'), undefined);
});

t.test('removal leaves holes; compaction keeps the living and their order', async (t) => {
  const table = new ParticipantTable('3.');
  for (let seq = 1; seq <= 4000; seq++) put(table, state(seq));
  for (let seq = 1; seq <= 4000; seq++) if (seq % 4 !== 0) t.equal(table.delete(seq), true);
  t.equal(table.delete(1), false, 'already gone');
  t.equal(table.size, 1000);
  t.same(table.values().map((p) => p.id), Array.from({ length: 1000 }, (_, i) => `3.${(4 * (i + 1)).toString(36)}`));
  t.same(table.get('3.' + (400).toString(36)), state(400));
  put(table, state(4001));
  t.same(table.get('3.' + (4001).toString(36)), state(4001));
  t.throws(() => put(table, state(2)), RangeError, 'a new participant older than the newest is refused');
});

t.test('participants are found however unevenly their sequences are spread', async (t) => {
  const table = new ParticipantTable('3.');
  const seqs = [1, 2, 3, 1_000, 1_001, 50_000, 50_002, 2 ** 40];
  for (const seq of seqs) put(table, state(seq));
  for (const seq of seqs) t.same(table.at(seq), state(seq));
  for (const seq of [0, 4, 999, 1_002, 50_001, 2 ** 40 + 1]) t.equal(table.at(seq), undefined, `no ${seq}`);
});

t.test("participants moved in from one engine's store keep its ids; later ones have the shard's", async (t) => {
  const table = new ParticipantTable('2-3.');
  table.keepMovedIds('3.', 40);
  t.equal(table.idOf(40), '3.14', 'a moved sequence is known by the old id');
  t.equal(table.idOf(41), '2-3.15', "a later one by the shard's");
  for (const seq of [7, 40, 41, 90]) table.write(seq, state(seq));
  t.same([table.seqOf('3.7'), table.seqOf('3.14'), table.seqOf('2-3.15'), table.seqOf('2-3.2i')], [7, 40, 41, 90], 'each found by its own id');
  t.same([table.seqOf('2-3.7'), table.seqOf('3.15'), table.seqOf('4.7'), table.seqOf('3.zz')], [undefined, undefined, undefined, undefined], 'not by the other kind, nor another partition');
  t.equal(table.get('3.7')!.id, '3.7', 'read back under the id it had');
});
