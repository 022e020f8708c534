// Huge profiles: every list in an input and every list of changes costs time linear in its
// length. A quadratic cost takes minutes at these sizes (the tap timeout), and 16 times as
// long, not 4, when the size grows 4 times (the linearity check).
import t from 'tap';
import { VirtualClock } from '../../../engine/clock.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import type { PeopleChange } from '../../../engine/store/interfaces.js';
import type { PersonInput, ProfileChange } from '../../../engine/vocabulary.js';

const tagsOf = (n: number, prefix = 't'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const emailsOf = (n: number, prefix = 'u'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com`);

interface Writes {
  readonly create: PersonInput;
  readonly changes: ProfileChange[];
  readonly merge: PersonInput;
}

/** A person with `n` tags and n/2 emails; changes to half the tags and n/2 emails; a merge of n new tags and n/2 emails. */
function writesOf(n: number): Writes {
  return {
    create: { id: 'big', tags: tagsOf(n), emails: emailsOf(n / 2), phones: ['+385912345678'] },
    changes: [
      ...tagsOf(n / 2).map((tag): ProfileChange => ({ op: 'removeTag', tag })),
      ...tagsOf(n / 2, 'new').map((tag): ProfileChange => ({ op: 'addTag', tag })),
      ...emailsOf(n / 2, 'more').map((email): ProfileChange => ({ op: 'addEmail', email })),
    ],
    merge: { id: 'big', tags: tagsOf(n, 'merged'), emails: emailsOf(n / 2, 'merged') },
  };
}

function write(store: MemoryPeopleStore, writes: Writes): void {
  store.upsert(writes.create);
  store.update('big', writes.changes);
  store.upsert(writes.merge);
}

/** CPU milliseconds (not wall time: tap runs test files side by side) to make these writes. */
function cpuMillisFor(writes: Writes): number {
  const store = new MemoryPeopleStore(new VirtualClock());
  const start = process.cpuUsage();
  write(store, writes);
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

t.test('time grows linearly with the size of the lists', async (t) => {
  const small = writesOf(20_000);
  const large = writesOf(80_000);
  cpuMillisFor(small); // warm up the JIT
  const best = { small: Infinity, large: Infinity };
  for (let round = 0; round < 5; round++) {
    best.small = Math.min(best.small, cpuMillisFor(small));
    best.large = Math.min(best.large, cpuMillisFor(large));
  }
  const ratio = best.large / best.small;
  t.ok(ratio < 10, `80,000 items took ${best.large.toFixed(0)} ms, 20,000 took ${best.small.toFixed(0)} ms: ratio ${ratio.toFixed(1)} (linear 4, quadratic 16)`);
});

t.test('100,000 tags and 50,000 emails: created, updated and merged', async (t) => {
  const store = new MemoryPeopleStore(new VirtualClock());
  store.defineSegment({ id: 'tagged', name: 'Tagged', kind: 'realtime', rule: { test: (p) => p.tags.length > 0 } });
  const events: PeopleChange[] = [];
  store.onChange((change) => events.push(change));
  const n = 100_000;
  write(store, writesOf(n));
  const big = store.get('big')!;
  t.equal(big.tags.length, 2 * n, 'half the tags removed, as many added, then n merged');
  t.equal(big.emails.length, (3 * n) / 2);
  t.equal(big.tags[0], `t${n / 2}`, 'tags keep their order');
  t.same([...store.withTag('t0')], [], 'removed tags leave the index');
  t.same([...store.withTag(`merged${n - 1}`)], ['big']);
  t.equal(store.findByContact(`merged${n / 2 - 1}@example.com`), big);
  t.same([...store.segmentMembers('tagged')], ['big']);
  t.equal(events.filter((e) => e.kind === 'tagAdded').length, 2.5 * n);
  t.equal(events.filter((e) => e.kind === 'tagRemoved').length, n / 2);
});

t.test('a huge write that takes another person’s contact changes nothing', async (t) => {
  const store = new MemoryPeopleStore(new VirtualClock());
  store.upsert({ id: 'other', emails: ['taken@example.com'] });
  const big = store.upsert({ id: 'big', tags: tagsOf(50_000), emails: emailsOf(50_000) });
  const emails = [...emailsOf(50_000, 'new'), 'taken@example.com'];
  t.throws(() => store.upsert({ id: 'big', tags: tagsOf(50_000, 'new'), emails }), {
    code: 'JCT_CONTACT_TAKEN',
    details: { contact: 'taken@example.com', personId: 'other' },
  });
  t.equal(store.get('big'), big, 'the profile is untouched');
  t.equal(store.findByContact('new0@example.com'), undefined, 'no contact was indexed');
  t.same([...store.withTag('new0')], [], 'no tag was indexed');
  t.equal(store.findByContact('taken@example.com')?.id, 'other');
});
