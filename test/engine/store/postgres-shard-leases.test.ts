// Shard leases against the real Postgres (skipped loudly when it is not there, failed when
// JUNCTION_REQUIRE_SERVICES=1): one process takes every shard; a second joining gets half, given
// up one at a time by the first (its engine closed before the lease ends) with no shard held by
// both at any moment; one that stops or dies leaves its shards to the other (a death once its
// leases end, with the next token); a commit on a shard taken over is fenced and told once; and
// a slow engine opening does not let the shards already held lapse; a store out of reach for a
// while loses nothing.
import t, { type Test } from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { PostgresBackend } from '../../../engine/store/postgres.js';
import { ShardLeases, shardView, shareOf, type ShardLease, type ShardLeasesOptions } from '../../../engine/store/postgres-shard-leases.js';
import { batchOf } from '../../../engine/store/journal.js';
import type { LostReason } from '../../../engine/store/lease.js';
import { PG_URL, sql, tempSchema, unlessPostgres } from './postgres-service.js';

const skip = await unlessPostgres(t);
const TTL = 600;
const POLL = 100;

/** A process of the cluster and what it was told. */
interface Member {
  readonly leases: ShardLeases;
  readonly taken: ShardLease[];
  readonly surplus: number[];
  readonly lost: [number, LostReason][];
}

/** Starts a process holding shards of `schema`'s cluster, stopped (if still running) when `t` ends. */
async function member(t: Test, schema: string, options: Partial<ShardLeasesOptions> = {}): Promise<Member> {
  const taken: ShardLease[] = [];
  const surplus: number[] = [];
  const lost: [number, LostReason][] = [];
  const leases = await ShardLeases.start({
    url: PG_URL,
    schema,
    shards: 4,
    ttlMs: TTL,
    pollMs: POLL,
    onTaken: async (lease) => void taken.push(lease),
    onSurplus: async (shard) => void surplus.push(shard),
    onLost: (shard, reason) => lost.push([shard, reason]),
    ...options,
  });
  t.teardown(() => leases.stop());
  return { leases, taken, surplus, lost };
}

/** Waits until `done` holds, checking every 10 ms (and `each` at every check); fails after `ms`. */
async function until(t: Test, what: string, done: () => boolean, ms = 5000, each: () => Promise<void> | void = () => {}): Promise<number> {
  const started = Date.now();
  for (;;) {
    await each();
    if (done()) return Date.now() - started;
    if (Date.now() - started > ms) {
      t.fail(`not within ${ms} ms: ${what}`);
      return Date.now() - started;
    }
    await sleep(10);
  }
}

const shardsOf = (m: Member) => [...m.leases.held().keys()].sort();

/** The lease rows of the schema: shard → owner, token, whether it ended. */
async function rows(schema: string): Promise<Map<number, { owner: string; token: string; ended: boolean }>> {
  const result = await sql(`SELECT name, owner, token::text AS token, expires_at < now() AS ended FROM "${schema}".leases ORDER BY name`);
  return new Map(result.map((r) => [Number(String(r['name']).slice('shard:'.length)), { owner: String(r['owner']), token: String(r['token']), ended: r['ended'] === true }]));
}

t.test('shares: each member as many as the others, give or take one, the first by name one more; they add up', async (t) => {
  t.same([0, 1, 2].map((rank) => shareOf(4, 3, rank)), [2, 1, 1], '4 over 3: nobody left without a shard');
  t.same([0, 1].map((rank) => shareOf(4, 2, rank)), [2, 2]);
  t.same([0, 1, 2, 3, 4].map((rank) => shareOf(4, 5, rank)), [1, 1, 1, 1, 0], 'more members than shards: the last stands by');
  for (const [shards, members] of [[16, 3], [16, 5], [7, 7], [1, 2]] as const) {
    t.equal(Array.from({ length: members }, (_, rank) => shareOf(shards, members, rank)).reduce((a, b) => a + b), shards, `${shards} over ${members} add up`);
  }
});

t.test('one process takes every shard, each opened once, with token 1', { skip }, async (t) => {
  const schema = tempSchema(t, 'shard_leases');
  const a = await member(t, schema, { address: 'http://10.0.0.7:8080' });
  await until(t, 'all 4 held', () => a.leases.held().size === 4);
  await sleep(3 * POLL);
  t.same(a.taken.map((l) => l.shard).sort(), [0, 1, 2, 3], 'onTaken once per shard');
  t.ok(a.taken.every((l) => l.token === '1' && l.owner === a.leases.owner), 'token 1, this owner');
  const holders = await a.leases.holders();
  t.same([...holders.keys()].sort(), [0, 1, 2, 3]);
  t.match(holders.get(2), { owner: a.leases.owner, address: 'http://10.0.0.7:8080', token: '1' });
  await a.leases.advertise('http://10.0.0.7:9090');
  const view = await shardView(PG_URL, schema, 4);
  // At most a lease length left, give or take the few ms between the renewal's transaction start and the view's
  t.ok([...view.values()].every((h) => h.address === 'http://10.0.0.7:9090' && h.endsInMs > 0 && h.endsInMs <= TTL + 50), `the view: every shard at the advertised address, its lease running: ${JSON.stringify([...view])}`);
  t.same(await shardView(PG_URL, `${schema}_none`, 4), new Map(), 'a schema without tables: nobody');
  t.same(a.lost, []);
});

t.test('a second process joins: the first gives up its surplus one shard at a time, closed before its lease ends, and they converge to 2 + 2, never both holding one', { skip }, async (t) => {
  const schema = tempSchema(t, 'shard_leases');
  let closing = 0;
  let concurrent = 0;
  const checks: string[] = [];
  const a: Member = await member(t, schema, {
    onSurplus: async (shard) => {
      a.surplus.push(shard);
      concurrent = Math.max(concurrent, ++closing);
      const row = (await rows(schema)).get(shard);
      if (row?.owner !== a.leases.owner || row.ended) checks.push(`shard ${shard}'s lease had ended before its engine closed`);
      await sleep(150); // an engine closing takes a while
      closing--;
    },
  });
  await until(t, 'the first holds all 4', () => a.leases.held().size === 4);
  const b = await member(t, schema);
  const overlaps: number[] = [];
  const mismatches: string[] = [];
  /** Held by both processes now, or held by one all through a read of the table whose row is not its running lease. */
  const sample = async () => {
    overlaps.push(...shardsOf(a).filter((s) => b.leases.held().has(s)));
    const before = [a, b].map(shardsOf);
    const table = await rows(schema);
    [a, b].forEach((m, i) => {
      for (const shard of shardsOf(m).filter((s) => before[i]!.includes(s))) {
        const row = table.get(shard);
        if (row?.owner !== m.leases.owner || row.ended) mismatches.push(`shard ${shard}: held by ${i === 0 ? 'the first' : 'the second'}, its row ${JSON.stringify(row)}`);
      }
    });
  };
  await until(t, '2 + 2', () => a.leases.held().size === 2 && b.leases.held().size === 2, 8000, sample);
  t.same(overlaps, [], 'no shard held by both at any moment');
  t.same(mismatches, [], "each shard held is the holder's running lease in the table all along");
  t.same(a.surplus, [3, 2], 'the surplus given up highest first');
  t.equal(concurrent, 1, 'one at a time');
  t.same(checks, [], 'each engine closed while its lease still ran');
  t.same(b.taken.map((l) => [l.shard, l.token]).sort(), [[2, '2'], [3, '2']], 'the second takes them with the next token');
  await sleep(4 * POLL);
  t.same([shardsOf(a), shardsOf(b)], [[0, 1], [2, 3]], 'and it stays so');
  t.same([a.lost, b.lost], [[], []], 'giving up is not a loss');
});

t.test('a process that stops leaves its shards to the other within about a lease length', { skip }, async (t) => {
  const schema = tempSchema(t, 'shard_leases');
  const a = await member(t, schema);
  await until(t, 'the first holds all 4', () => a.leases.held().size === 4);
  const b = await member(t, schema);
  await until(t, '2 + 2', () => a.leases.held().size === 2 && b.leases.held().size === 2, 8000);
  const stopped = Date.now();
  await b.leases.stop();
  t.same(b.surplus.sort(), [2, 3], 'its engines closed as it stops');
  t.equal(b.leases.held().size, 0);
  await until(t, 'the first holds all 4 again', () => a.leases.held().size === 4);
  const ms = Date.now() - stopped;
  t.ok(ms <= TTL + POLL + 300, `taken over ${ms} ms after the stop began`);
  t.same(a.lost, []);
});

t.test('a process that dies: the other takes its shards once their leases end, with the next token', { skip }, async (t) => {
  const schema = tempSchema(t, 'shard_leases');
  const a = await member(t, schema);
  await until(t, 'the first holds all 4', () => a.leases.held().size === 4);
  const b = await member(t, schema);
  await until(t, '2 + 2', () => a.leases.held().size === 2 && b.leases.held().size === 2, 8000);
  const before = await rows(schema);
  const theirs = shardsOf(b);
  const died = Date.now();
  await b.leases.abandon();
  await until(t, 'the first holds all 4 again', () => a.leases.held().size === 4, 3000);
  const after = Date.now() - died;
  t.ok(after >= TTL / 3 && after <= TTL + 2 * POLL + 300, `taken once the leases ended, not before: ${after} ms after the death`);
  for (const shard of theirs) {
    t.equal(a.leases.held().get(shard)?.token, String(Number(before.get(shard)!.token) + 1), `shard ${shard}: the next token`);
  }
  t.same(b.surplus, [], 'a death closes nothing');
  t.same(a.lost, []);
});

t.test('a commit on a shard taken over is fenced, and the loss told once', { skip }, async (t) => {
  const schema = tempSchema(t, 'shard_leases');
  const shardSchema = tempSchema(t, 'shard_leases_s0');
  const a = await member(t, schema, { shards: 2, ttlMs: 60_000 }); // no renewal finds the takeover first
  await until(t, 'both held', () => a.leases.held().size === 2);
  const lease = a.leases.held().get(0)!;
  const backend = await PostgresBackend.open({ url: PG_URL, schema: shardSchema, fence: lease });
  t.teardown(() => backend.close());
  await backend.commit(batchOf([{ table: 'person', key: 'before', value: { id: 'before' } }]));
  await sql(`UPDATE "${schema}".leases SET token = token + 1, owner = 'someone else', expires_at = now() + interval '1 minute' WHERE name = 'shard:0'`);
  await t.rejects(backend.commit(batchOf([{ table: 'person', key: 'after', value: { id: 'after' } }])), { code: 'JCT_STORE_FENCED' });
  await t.rejects(backend.commit(batchOf([{ table: 'person', key: 'again', value: { id: 'again' } }])), { code: 'JCT_STORE_FENCED' });
  t.same(a.lost, [[0, 'fenced']], 'told once');
  t.same([...a.leases.held().keys()], [1], 'the other shard still held');
  t.same((await sql(`SELECT key FROM "${shardSchema}".person`)).map((r) => r['key']), ['before'], 'nothing written once fenced');
});

t.test('a shard taken over is found at the next renewal: lost once, not again by a commit', { skip }, async (t) => {
  const schema = tempSchema(t, 'shard_leases');
  const a = await member(t, schema, { shards: 2 });
  await until(t, 'both held', () => a.leases.held().size === 2);
  const lease = a.leases.held().get(1)!;
  await sql(`UPDATE "${schema}".leases SET token = token + 1, owner = 'someone else', expires_at = now() + interval '1 minute' WHERE name = 'shard:1'`);
  await until(t, 'the loss told', () => a.lost.length > 0, TTL);
  const backend = await PostgresBackend.open({ url: PG_URL, schema: tempSchema(t, 'shard_leases_s1'), fence: lease });
  t.teardown(() => backend.close());
  await t.rejects(backend.commit(batchOf([{ table: 'person', key: 'after', value: { id: 'after' } }])), { code: 'JCT_STORE_FENCED' }, 'a commit after it is fenced');
  await sleep(TTL);
  t.same(a.lost, [[1, 'taken']], 'told once');
  t.same([...a.leases.held().keys()], [0]);
});

t.test('renewals go on while an engine opens slowly: the shards held do not lapse', { skip }, async (t) => {
  const schema = tempSchema(t, 'shard_leases');
  let opened = false;
  let b: Member | undefined;
  const lapsed: string[] = [];
  const a = await member(t, schema, {
    shards: 2,
    onTaken: async (lease) => {
      a.taken.push(lease);
      if (a.taken.length < 2) return;
      b = await member(t, schema, { shards: 2 }); // would take any shard whose lease ended
      await sleep(3 * TTL);
      for (const [shard, row] of await rows(schema)) if (row.ended || row.owner !== a.leases.owner) lapsed.push(`shard ${shard}: ${JSON.stringify(row)}`);
      opened = true;
    },
  });
  await until(t, 'the second engine opened', () => opened, 3000 + 5 * TTL);
  t.same(lapsed, [], 'both leases running as the second engine ends opening, three lease lengths on');
  t.equal(b?.taken.length, 0, 'nobody else took one');
  t.same(a.lost, []);
  t.same(a.taken.map((l) => l.token), ['1', '1']);
});

/** A TCP relay to the test PostgreSQL at a port of its own: cut() drops every connection and refuses new ones until restore(). */
async function relay(t: Test): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void> }> {
  const port = 18000 + Math.floor(Math.random() * 1000);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const open = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((socket) => {
        const upstream = connect(5432, '127.0.0.1');
        for (const s of [socket, upstream]) {
          sockets.add(s);
          s.on('error', () => {});
          s.on('close', () => (socket.destroy(), upstream.destroy(), sockets.delete(s)));
        }
        socket.pipe(upstream).pipe(socket);
      });
      server.once('error', reject).listen(port, '127.0.0.1', resolve);
    });
  const cut = async () => {
    const closed = new Promise((resolve) => server?.close(resolve));
    sockets.forEach((s) => s.destroy());
    await closed;
  };
  await open();
  t.teardown(cut);
  return { url: `postgres://postgres@127.0.0.1:${port}/test`, cut, restore: open };
}

t.test('a store out of reach for longer than a lease: told once per error, nothing lost, told when it is back', { skip }, async (t) => {
  const schema = tempSchema(t, 'shard_leases');
  const store = await relay(t);
  const errors: string[] = [];
  let backs = 0;
  const a = await member(t, schema, { url: store.url, shards: 2, onStoreError: (e) => errors.push(e.code), onStoreBack: () => backs++ });
  await until(t, 'both held', () => a.leases.held().size === 2);
  await store.cut();
  await sleep(2 * TTL);
  t.ok(errors.length >= 1 && errors.length <= 2 && errors.every((code) => code === 'JCT_STORE_UNAVAILABLE'), `told ${errors.length} time(s), not at every round`);
  t.equal(a.leases.held().size, 2, 'a store that does not answer is not a loss');
  await store.restore();
  await until(t, 'told it is back', () => backs === 1, 3000);
  await sleep(TTL);
  t.same(a.lost, []);
  t.same([...a.leases.held().keys()].sort(), [0, 1], 'still held, renewed again');
  t.ok([...(await rows(schema)).values()].every((r) => !r.ended && r.owner === a.leases.owner), 'their leases running again');
});
