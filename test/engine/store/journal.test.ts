// The group commit's row groups (marks in a set, or bits for numbered members): a marked
// member's row is built from memory when its batch is written (its last state, once, however
// often it was marked), null deletes it, and marks count toward the batch like puts do; a value
// with no JSON form fails its whole batch before any of it is written (and onFailed is told once);
// rows put while a batch fails for good are refused with its failure, their callers answered;
// closed while the store is out of reach, the batch is given up without being called failed for good.
import t from 'tap';
import { GroupCommit, KeyedRows, MemoryBackend, NumberedRows } from '../../../engine/store/journal.js';
import { JunctionError } from '../../../engine/errors.js';

for (const Rows of [KeyedRows<number>, NumberedRows]) {
  t.test(`${Rows.name}: a marked row is built once, when its batch is written, from memory as it is then`, async (t) => {
    const backend = new MemoryBackend();
    const journal = new GroupCommit(backend, { flushMs: 0 });
    const memory = new Map<number, { n: number }>();
    let built = 0;
    const rows = new Rows(
      'participant',
      (seq) => `0.${seq}`,
      (seq) => {
        built++;
        return memory.get(seq) ?? null;
      },
    );
    memory.set(1, { n: 1 });
    journal.mark(rows, 1);
    memory.set(1, { n: 2 });
    journal.mark(rows, 1);
    memory.set(2000, { n: 1 });
    journal.mark(rows, 2000);
    t.equal(built, 0, 'nothing built while the batch is open');
    await journal.durable();
    t.equal(built, 2, 'each marked member built once');
    t.equal(journal.rows, 2);
    t.same([...backend.load('participant')], [['0.1', { n: 2 }], ['0.2000', { n: 1 }]]);

    memory.delete(1);
    journal.mark(rows, 1);
    await journal.durable();
    t.same([...backend.load('participant')], [['0.2000', { n: 1 }]], 'gone from memory: the row is deleted');
    t.equal(rows.marked, 0, 'marks are forgotten once written');
    journal.mark(rows, 2000);
    t.equal(rows.marked, 1, 'and a member can be marked again');
    await journal.durable();
    t.equal(built, 4);
  });
}

t.test('marks fill a batch like puts: a full batch is written at once', async (t) => {
  const backend = new MemoryBackend();
  const journal = new GroupCommit(backend, { flushMs: 60_000, maxRows: 3 });
  const rows = new KeyedRows('person', (id) => id, (id) => ({ id }));
  journal.put('meta', 'partitions', 8);
  journal.mark(rows, 'a');
  journal.mark(rows, 'a');
  journal.mark(rows, 'b');
  await journal.durable();
  t.equal(backend.commits, 1, 'written without waiting for the flush timer');
  t.same([...backend.load('person')], [['a', { id: 'a' }], ['b', { id: 'b' }]]);
});

t.test('a batch holding a value with no JSON form fails whole before the backend sees it, and the journal stays failed (said once)', async (t) => {
  const backend = new MemoryBackend();
  const failures: unknown[] = [];
  const journal = new GroupCommit(backend, { flushMs: 0, onFailed: (err) => failures.push(err) });
  journal.put('person', 'p1', { name: 'Ann' });
  await journal.durable();
  const rows = new KeyedRows('seen', (id) => id, () => ({ big: 1n }));
  journal.put('person', 'p1', { name: 'changed' });
  journal.mark(rows, 's');
  await t.rejects(journal.durable(), { code: 'JCT_STORE_VALUE', message: /seen row 's'/ });
  t.equal(backend.commits, 1, 'the batch never reached the backend');
  t.same([...backend.load('person')], [['p1', { name: 'Ann' }]]);
  t.ok(journal.failed, 'the working state is ahead of the store: the journal says so');
  await t.rejects(journal.durable(), { code: 'JCT_STORE_VALUE' }, 'and refuses what comes after');
  journal.put('person', 'p2', { name: 'Bob' });
  await t.rejects(journal.flush(), { code: 'JCT_STORE_VALUE' });
  t.match(failures, [{ code: 'JCT_STORE_VALUE' }], 'onFailed was told once, when the batch failed');
});

t.test('rows put while a batch is failing for good are refused with its error: their callers are answered, not left waiting', async (t) => {
  /** A store whose disk fails (for good) on its second commit, answering a moment later. */
  class FailingDisk extends MemoryBackend {
    override async commit(batch: Parameters<MemoryBackend['commit']>[0]): Promise<void> {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (this.commits === 1) throw new JunctionError('JCT_DISK_IO', 'the disk failed');
      super.commit(batch);
    }
  }
  const journal = new GroupCommit(new FailingDisk(), { flushMs: 0 });
  journal.put('person', 'p1', { name: 'Ann' });
  await journal.durable();
  journal.put('person', 'p2', { name: 'Bob' });
  const failing = journal.durable();
  await new Promise((resolve) => setTimeout(resolve, 5)); // the batch of p2 is being written
  journal.put('person', 'p3', { name: 'Cy' });
  const after = journal.durable();
  const afterWritten = journal.written();
  await t.rejects(failing, { code: 'JCT_DISK_IO' });
  const within = (p: Promise<void>) => Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error('still waiting')), 1000))]);
  await t.rejects(within(after), { code: 'JCT_DISK_IO' }, 'durable() of a row put meanwhile');
  await t.rejects(within(afterWritten), { code: 'JCT_DISK_IO' }, 'written() of a row put meanwhile');
});

t.test('closed while the store is out of reach: close rejects with its error, and nothing is said to have failed for good', async (t) => {
  const backend = new MemoryBackend();
  let reachable = true;
  const commit = backend.commit.bind(backend);
  backend.commit = (batch) => (reachable ? commit(batch) : Promise.reject(new JunctionError('JCT_STORE_UNAVAILABLE', 'out of reach')));
  const failures: unknown[] = [];
  const journal = new GroupCommit(backend, { flushMs: 0, firstRetryMs: 1, longestRetryMs: 5, waitMs: 20, onFailed: (err) => failures.push(err) });
  reachable = false;
  journal.put('person', 'p1', { name: 'Ann' });
  await t.rejects(journal.durable(), { code: 'JCT_STORE_UNAVAILABLE' }, 'its callers are refused after waitMs');
  await t.rejects(journal.close(), { code: 'JCT_STORE_UNAVAILABLE' }, 'closing gives the batch up with the store’s error');
  t.same(failures, [], 'onFailed is not told: the store refused nothing for good');
});
