// Test helper: what every cluster lease must do, run against a store's lease (postgres-lease,
// redis-lease tests). The first process takes it with token 1; another waits, told who holds it
// and where, and takes it with the next token once released (a release is not a loss); an
// owner whose lease another process took learns it at its next renewal; and a server out of
// reach is told once while standing by (without its password) and given up after a while.
// Every process, owner or standby, is a member of the cluster with its address, as long as it
// asks or renews; it leaves as it stops, releases or finds its lease taken; the view says who
// holds the lease and how long it has left.
import type { Test } from 'tap';
import type { ClusterView, Lease, LeaseHolder, LeaseOptions, LostReason } from '../../../engine/store/lease.js';

export type Held<L extends Lease> = L & { losses: LostReason[] };

export interface LeaseUnderTest<L extends Lease = Lease> {
  /** Skip reason when the server is not there. */
  skip: false | string;
  /** A fresh place for leases (a schema, a prefix) deleted when `t` ends. */
  place(t: Test): string;
  acquire(place: string, options: LeaseOptions): Promise<L>;
  /** Another process takes the lease over, as if its owner had been paused past its end. */
  takeOver(place: string): Promise<unknown>;
  /** acquire() at a closed port whose URL carries the password `secret`. */
  unreachable(secret: string, options: LeaseOptions): Promise<L>;
  /** What the store at `place` knows of its cluster. */
  view(place: string): Promise<ClusterView>;
}

/** A lease at `place`, released when `t` ends; what it lost, if anything, in `losses`. */
export async function held<L extends Lease>(t: Test, l: LeaseUnderTest<L>, place: string, options: Partial<LeaseOptions> = {}): Promise<Held<L>> {
  const losses: LostReason[] = [];
  const lease = await l.acquire(place, { pollMs: 20, onLost: (reason) => losses.push(reason), ...options });
  t.teardown(() => lease.release());
  return Object.assign(lease, { losses });
}

export function leaseContract<L extends Lease>(t: Test, l: LeaseUnderTest<L>): void {
  const { skip } = l;
  t.test('one owner at a time: a second process waits, told who holds it, and takes over with the next token once released', { skip }, async (t) => {
    const place = l.place(t);
    const first = await held(t, l, place);
    t.equal(first.token, '1', 'the first owner has token 1');
    await first.advertise('http://127.0.0.1:8080');
    const told: LeaseHolder[] = [];
    let second: Lease | undefined;
    const waiting = held(t, l, place, { onWait: (h) => told.push(h) }).then((taken) => (second = taken));
    for (let waited = 0; told.length === 0 && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20)); // its first ask migrates too: slow on a loaded machine
    t.equal(second, undefined, 'still standing by while the owner renews');
    t.match(told[0], { owner: first.owner, address: 'http://127.0.0.1:8080', token: '1' }, 'told who owns the partitions and where');
    await first.release();
    const taken = await waiting;
    t.equal(taken.token, '2', 'the next owner has the next token');
    t.same(first.losses, [], 'a release is not a loss');
  });

  t.test('an owner learns at its next renewal that another process took its lease', { skip }, async (t) => {
    const place = l.place(t);
    const owner = await held(t, l, place, { ttlMs: 600 });
    await l.takeOver(place);
    await new Promise((resolve) => setTimeout(resolve, 400));
    t.same(owner.losses, ['taken']);
  });

  t.test('a store out of reach: told while standing by, given up after unreachableForMs', { skip }, async (t) => {
    const errors: string[] = [];
    await t.rejects(l.unreachable('lease-secret', { pollMs: 20, unreachableForMs: 300, onStoreError: (e) => errors.push(e.message), onLost: () => {} }), {
      code: 'JCT_STORE_UNAVAILABLE',
    });
    t.equal(errors.length, 1, 'the same error is told once');
    t.notMatch(errors.join(' '), 'lease-secret', 'without the password');
  });

  t.test('every process is a member while it asks or renews: the owner and a standby, with their addresses; gone once they stop', { skip }, async (t) => {
    const place = l.place(t);
    t.same(await l.view(place), { members: [] }, 'nobody yet');
    const owner = await held(t, l, place, { ttlMs: 300, address: 'http://127.0.0.1:8081' });
    await owner.advertise('http://10.0.0.7:8081');
    const stop = new AbortController();
    const standby = held(t, l, place, { ttlMs: 300, address: 'http://10.0.0.8:8082', signal: stop.signal }).catch((err: { code?: string }) => err.code);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const view = await l.view(place);
    t.match(view.holder, { owner: owner.owner, token: owner.token, address: 'http://10.0.0.7:8081' });
    t.ok(view.holder!.endsInMs <= 300, `the lease has at most its length left (${view.holder!.endsInMs} ms; a renewal late on a loaded machine may leave none)`);
    t.equal(view.members.length, 2, 'the owner and the standby');
    t.match(view.members[0], { name: owner.owner, address: 'http://10.0.0.7:8081' }, 'the owner, there first, with its advertised address (renewed since)');
    t.match(view.members[1], { address: 'http://10.0.0.8:8082' }, 'the standby, with its address');
    t.ok(view.members.every((m) => m.endsInMs > 0 && m.endsInMs <= 600 && !Number.isNaN(Date.parse(m.since))), 'each counted for at most two lease lengths, since a time');
    stop.abort();
    t.equal(await standby, 'JCT_STANDBY_STOPPED');
    t.same((await l.view(place)).members.map((m) => m.name), [owner.owner], 'a standby that stops leaves at once');
    await owner.release();
    const after = await l.view(place);
    t.same(after.members, [], 'and so does an owner that releases its lease');
    t.ok(after.holder === undefined || after.holder.endsInMs <= 0, 'no lease held after the release (ended, or gone where the store deletes it)');
  });

  t.test('an owner that finds its lease taken leaves the members at once, not renewing its entry', { skip }, async (t) => {
    const place = l.place(t);
    const owner = await held(t, l, place, { ttlMs: 3000 });
    t.same((await l.view(place)).members.map((m) => m.name), [owner.owner]);
    await l.takeOver(place);
    while (owner.losses.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    t.same((await l.view(place)).members, [], 'gone as the renewal found the lease taken, not counted for two more lease lengths');
  });
}
