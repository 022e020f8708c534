// OrderedMap: a Map also read in its keys' order from any key on, checked against a plain Map
// sorted on each read, through enough keys that chunks split and empty out.
import t from 'tap';
import { OrderedMap, orderedView } from '../../engine/ordered.js';

/** The reference: every key of the map past `after`, sorted. */
function expected(map: Map<string, number>, after?: string): string[] {
  return [...map.keys()].filter((k) => after === undefined || k > after).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function keysAfter(ordered: OrderedMap<number>, after?: string): string[] {
  return [...ordered.after(after)].map(([k]) => k);
}

/** A small deterministic random number generator (xorshift), so a failure repeats. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

t.test('adds, replaces and removes keep the order; after() starts past any key, present or not', async (t) => {
  const next = random(7);
  const ordered = new OrderedMap<number>();
  const reference = new Map<string, number>();
  let deletesAnsweredAlike = true;
  for (let i = 0; i < 20_000; i++) {
    const key = `k${Math.floor(next() * 6000)}`;
    if (next() < 0.3) {
      deletesAnsweredAlike &&= ordered.delete(key) === reference.delete(key);
    } else {
      ordered.set(key, i);
      reference.set(key, i);
    }
  }
  t.ok(deletesAnsweredAlike, 'delete says whether the key was there');
  t.equal(ordered.size, reference.size);
  t.same(keysAfter(ordered), expected(reference), 'every key, in order');
  for (const after of ['', 'k', 'k1', 'k2999', 'k3000x', 'k5999', 'k9', 'z', ...[...reference.keys()].slice(0, 50)]) {
    t.same(keysAfter(ordered, after), expected(reference, after), `after ${JSON.stringify(after)}`);
  }
  t.same([...ordered.after()].map(([k, v]) => [k, v]), expected(reference).map((k) => [k, reference.get(k)]), 'each key with its value');
});

t.test('emptied out and filled again', async (t) => {
  const ordered = new OrderedMap<number>();
  const keys = Array.from({ length: 5000 }, (_, i) => `id-${String(i).padStart(5, '0')}`);
  for (const k of [...keys].reverse()) ordered.set(k, 1);
  t.same(keysAfter(ordered), keys, 'added in reverse, read in order');
  for (const k of keys) ordered.delete(k);
  t.equal(ordered.size, 0);
  t.same(keysAfter(ordered), []);
  t.same(keysAfter(ordered, 'id-00001'), [], 'after a key in an empty map: nothing');
  ordered.set('b', 2).set('a', 1);
  t.same([...orderedView(ordered, (v) => v * 10).after()], [['a', 10], ['b', 20]], 'a view shows each entry through its function');
  t.same(keysAfter(ordered, 'a'), ['b']);
});
