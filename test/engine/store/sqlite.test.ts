import '../../child-processes.js';
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { batchOf, GroupCommit, MemoryBackend, TABLES, type Row, type Table } from '../../../engine/store/journal.js';
import { dump, roundTrips, rowsOf } from './backend-contract.js';
import { DB_FILE, SCHEMA_VERSION, SqliteBackend, WAL_SIZE_LIMIT } from '../../../engine/store/sqlite.js';
import { JunctionError } from '../../../engine/errors.js';

/** The built store (npm test builds dist/ first), loaded by a second process. */
const MODULE = pathToFileURL(path.resolve('dist/engine/store/sqlite.js')).href;

function tempDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'junction-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a backend that the test closes at its end. */
function open(t: Test, dir: string): SqliteBackend {
  const backend = new SqliteBackend({ dir });
  t.teardown(() => backend.close());
  return backend;
}

/** Expects fn to throw a JunctionError with this code; returns it. */
function throwsCode(t: Test, fn: () => unknown, code: string): JunctionError | undefined {
  try {
    fn();
  } catch (err) {
    t.type(err, JunctionError);
    t.equal((err as JunctionError).code, code);
    return err as JunctionError;
  }
  t.fail(`expected ${code}`);
  return undefined;
}

t.test('every table round-trips through commit and load: key order, deletes, last write wins', async (t) => {
  const sqlite = open(t, tempDir(t));
  await roundTrips(t, sqlite, () => sqlite);
});

t.test('large batches (multi-row statements, paged loads) keep the order of writes and deletes', async (t) => {
  const sqlite = open(t, tempDir(t));
  const memory = new MemoryBackend();
  const key = (i: number) => `k${(i * 7919) % 1500}`;
  for (let round = 0; round < 3; round++) {
    const batch: Row[] = [];
    for (let i = 0; i < 1200; i++) {
      const table = TABLES[(i >> 7) % 3]!;
      batch.push({ table, key: key(i + round * 500), value: i % 11 === 5 ? null : { round, i } });
      if (i % 13 === 0) batch.push({ table, key: key(i + round * 500), value: i % 2 ? null : { again: i } });
    }
    sqlite.commit(batchOf(batch));
    memory.commit(batchOf(batch));
  }
  const rows = dump(sqlite);
  t.same(rows, dump(memory));
  t.ok(rows.meta!.length > 1000, 'more rows than one load page');
});

t.test('a batch that fails midway writes nothing and the store stays usable', async (t) => {
  const backend = open(t, tempDir(t));
  backend.commit(batchOf([{ table: 'person', key: 'p1', value: { name: 'Ann' } }]));
  const err = throwsCode(
    t,
    () =>
      backend.commit(batchOf([
        { table: 'person', key: 'p1', value: { name: 'changed' } },
        { table: 'person', key: 'p2', value: { name: 'Bob' } },
        ...rowsOf('outbox', Array.from({ length: 100 }, (_, i): [string, unknown] => [`o${i + 2}`, i])),
        { table: 'outbox', key: 'o1', value: { big: 1n } },
        { table: 'person', key: 'p3', value: { name: 'Cy' } },
      ])),
    'JCT_STORE_VALUE',
  );
  t.match(err?.message, /outbox row 'o1'/);
  throwsCode(t, () => backend.commit(batchOf([{ table: 'meta', key: 'm', value: undefined }])), 'JCT_STORE_VALUE');
  t.same([...backend.load('person')], [['p1', { name: 'Ann' }]]);
  t.same([...backend.load('outbox')], []);
  backend.commit(batchOf([{ table: 'person', key: 'p2', value: { name: 'Bob' } }]));
  t.same([...backend.load('person')].map(([key]) => key), ['p1', 'p2']);
});

t.test('a full disk fails the batch in words naming the data directory; GroupCommit tries it again and goes on once space is freed', async (t) => {
  const dir = tempDir(t);
  const backend = open(t, dir);
  const changes: unknown[] = [];
  const journal = new GroupCommit(backend, { flushMs: 0, firstRetryMs: 1, longestRetryMs: 5, waitMs: 500, onStoreChange: (err) => changes.push(err) });
  journal.put('person', 'p1', { name: 'Ann' });
  await journal.durable();
  // The file may not grow past the pages it has: SQLite answers SQLITE_FULL, as on a full disk.
  const db = (backend as unknown as { db: Database.Database }).db;
  const pages = Number(db.pragma('page_count', { simple: true }));
  db.pragma(`max_page_count = ${pages}`);
  journal.put('person', 'p2', { name: 'x'.repeat(100_000) });
  await t.rejects(journal.durable(), { code: 'JCT_DISK_FULL', message: `the disk holding the data directory ${dir} is full`, details: { dir, cause: 'SQLITE_FULL' } });
  t.match(changes, [{ code: 'JCT_DISK_FULL' }], 'told once that the store cannot write');
  t.same([...backend.load('person')].map(([key]) => key), ['p1'], 'nothing of the failed batch was written');
  db.pragma(`max_page_count = ${pages * 100}`); // space is freed
  journal.put('person', 'p3', { name: 'Cy' });
  await journal.durable();
  t.same([...backend.load('person')].map(([key]) => key), ['p1', 'p2', 'p3'], 'the batch tried again is written, and what followed');
  t.match(changes, [{ code: 'JCT_DISK_FULL' }, undefined], 'and told once that it is back');
});

t.test('a data directory that cannot be a folder, or a file that is not a database, is said in words', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'file'), 'not a folder');
  const notFolder = throwsCode(t, () => new SqliteBackend({ dir: path.join(dir, 'file', 'data') }), 'JCT_DATA_DIR_UNWRITABLE');
  t.match(notFolder?.message, `the data directory ${path.join(dir, 'file', 'data')} cannot be written by this process`);
  t.match(notFolder?.message, /\((ENOTDIR|EEXIST): [a-z]/, "the system's code said once");
  fs.writeFileSync(path.join(dir, DB_FILE), 'x'.repeat(4096));
  const damaged = throwsCode(t, () => new SqliteBackend({ dir }), 'JCT_STORE_CORRUPT');
  t.match(damaged?.message, `a database file in the data directory ${dir} is damaged`);
});

const NOT_ROOT = process.getuid?.() !== 0 && 'mounting a read-only tmpfs needs root';

t.test('a data directory to be made on a read-only file system is said in words, not as an internal error', { skip: NOT_ROOT }, async (t) => {
  const mountPoint = tempDir(t);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', mountPoint]);
  if (mounted.status !== 0) return t.comment(`not run: mount refused (${mounted.stderr.toString().trim()})`);
  t.teardown(() => spawnSync('umount', [mountPoint]));
  const dir = path.join(mountPoint, 'junction', 'data');
  const refused = throwsCode(t, () => new SqliteBackend({ dir }), 'JCT_DATA_DIR_UNWRITABLE');
  t.match(refused?.message, `the data directory ${dir} cannot be written by this process`);
  t.match(refused?.details, { cause: 'EROFS' }, "the file system's own reason, not Node's ENOENT");
});

t.test('reopening after close sees the data; the file carries the schema version', async (t) => {
  const dir = path.join(tempDir(t), 'nested', 'data');
  const first = new SqliteBackend({ dir, synchronous: 'normal' });
  first.commit(batchOf([
    { table: 'flow', key: 'welcome', value: { v: 1 } },
    { table: 'seen', key: 'msg-1', value: 1 },
  ]));
  first.close();
  first.close();
  t.ok(fs.existsSync(path.join(dir, DB_FILE)));
  const again = open(t, dir);
  t.same([...again.load('flow')], [['welcome', { v: 1 }]]);
  t.same([...again.load('seen')], [['msg-1', 1]]);
  again.close();
  const raw = new Database(path.join(dir, DB_FILE));
  t.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  t.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  raw.pragma('user_version = 99');
  raw.close();
  throwsCode(t, () => new SqliteBackend({ dir }), 'JCT_STORE_SCHEMA');
});

t.test('a store of schema version 1 (before the ref table) opens and gets the table; its rows stay', async (t) => {
  const dir = tempDir(t);
  const first = open(t, dir);
  first.commit(batchOf(rowsOf('flow', [['welcome', { v: 1 }]])));
  first.close();
  const raw = new Database(path.join(dir, DB_FILE));
  raw.exec('DROP TABLE "ref"');
  raw.pragma('user_version = 1');
  raw.close();
  const upgraded = open(t, dir);
  t.same([...upgraded.load('flow')], [['welcome', { v: 1 }]]);
  upgraded.commit(batchOf(rowsOf('ref', [['sent:t:M1', { at: 1 }]])));
  t.same([...upgraded.load('ref')], [['sent:t:M1', { at: 1 }]]);
  upgraded.close();
  const check = new Database(path.join(dir, DB_FILE));
  t.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  check.close();
});

t.test('load is lazy: leaving the loop early frees the connection for commits', async (t) => {
  const backend = open(t, tempDir(t));
  backend.commit(batchOf(rowsOf('history', [['h1', 1], ['h2', 2], ['h3', 3]])));
  for (const [key] of backend.load('history')) if (key === 'h1') break;
  backend.commit(batchOf(rowsOf('history', [['h4', 4]])));
  t.equal([...backend.load('history')].length, 4);
  throwsCode(t, () => backend.load('nope' as Table), 'JCT_STORE_TABLE_UNKNOWN');
});

t.test('a second opener in the same process is refused until the first closes', async (t) => {
  const dir = tempDir(t);
  const first = new SqliteBackend({ dir });
  const err = throwsCode(t, () => new SqliteBackend({ dir }), 'JCT_DATA_DIR_LOCKED');
  t.equal(
    err?.message,
    `the data directory ${path.resolve(dir)} is in use by another Junction process; stop it or choose another data directory`,
  );
  t.equal(err?.details?.['setting'], 'dataDir', 'the command names the setting as the user set it');
  first.close();
  open(t, dir).commit(batchOf(rowsOf('meta', [['ok', true]])));
});

/** A second real Node process opening the data directory; 'hold' keeps it open until killed. */
function child(dir: string, mode: 'hold' | 'try') {
  const script = `
    const { SqliteBackend } = await import(process.argv[1]);
    try {
      const backend = new SqliteBackend({ dir: process.argv[2] });
      backend.commit(new Map([['meta', new Map([['owner', JSON.stringify({ pid: process.pid })]])]]));
      console.log('opened');
      if (process.argv[3] === 'try') backend.close(); else setInterval(() => {}, 60_000);
    } catch (err) {
      console.log(err.code ?? String(err));
    }`;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script, MODULE, dir, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout });
  const first = once(lines, 'line').then(([line]) => String(line));
  return { proc, first };
}

t.test('the lock holds across processes and the kernel releases it when the holder is killed', async (t) => {
  const dir = tempDir(t);
  const mine = new SqliteBackend({ dir });
  t.equal(await child(dir, 'try').first, 'JCT_DATA_DIR_LOCKED', 'another process is refused while this one holds the lock');
  mine.close();

  const holder = child(dir, 'hold');
  t.teardown(() => holder.proc.kill('SIGKILL'));
  t.equal(await holder.first, 'opened');
  throwsCode(t, () => new SqliteBackend({ dir }), 'JCT_DATA_DIR_LOCKED');

  const exited = once(holder.proc, 'exit');
  holder.proc.kill('SIGKILL');
  const [, signal] = await exited;
  t.equal(signal, 'SIGKILL');
  const after = open(t, dir);
  t.same([...after.load('meta')], [['owner', { pid: holder.proc.pid }]], 'the killed holder’s commit survived');
});

t.test('GroupCommit over SqliteBackend: durable() resolves after the write, and the data survives a reopen', async (t) => {
  const dir = tempDir(t);
  const backend = new SqliteBackend({ dir });
  const journal = new GroupCommit(backend);
  journal.put('participant', 'welcome:p1', { f: 'welcome', n: 1 });
  journal.put('history', 'welcome:p1:1', { el: 'send' });
  journal.put('outbox', 'o1', { kind: 'http.request' });
  const durable = journal.durable();
  t.same([...backend.load('participant')], [], 'nothing written before the flush');
  await durable;
  t.equal(journal.batches, 1);
  t.equal(journal.rows, 3);
  t.same([...backend.load('outbox')], [['o1', { kind: 'http.request' }]]);
  journal.put('outbox', 'o1', null);
  journal.put('participant', 'welcome:p1', { f: 'welcome', n: 2 });
  await journal.durable();
  backend.close();

  const again = open(t, dir);
  t.same([...again.load('participant')], [['welcome:p1', { f: 'welcome', n: 2 }]]);
  t.same([...again.load('history')], [['welcome:p1:1', { el: 'send' }]]);
  t.same([...again.load('outbox')], []);
});

t.test('the WAL is cut back after a checkpoint: a burst of writes past the checkpoint size does not leave a 64 MiB -wal file', async (t) => {
  const dir = tempDir(t);
  const backend = open(t, dir);
  const wal = path.join(dir, `${DB_FILE}-wal`);
  const value = 'x'.repeat(1000);
  let peak = 0;
  let size = 0;
  for (let batch = 0; batch < 150 && size >= peak; batch++) {
    const rows = Array.from({ length: 200 }, (_, i): Row => ({ table: 'history', key: `p${batch}:${i}`, value }));
    await backend.commit(batchOf(rows));
    peak = Math.max(peak, size);
    size = fs.statSync(wal).size;
  }
  t.ok(peak > 60 * 1024 * 1024, `the burst reached the checkpoint size (peak ${peak} bytes)`);
  t.ok(size <= WAL_SIZE_LIMIT, `the first commit after the checkpoint cut the -wal file back (${size} bytes)`);
});
