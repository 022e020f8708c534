// Replacing a segment (PUT /segments/:id) while flows run: the people store announces who left
// and who joined under the new rule or member list; a Predefined Audience updated in real time
// lets those who now match a listed real-time segment enter (once; those inside stay), while
// one fixed at launch, and a static segment's new members, bring nobody in; it holds across a
// restart, which announces nothing.
import t from 'tap';
import { GroupCommit } from '../../../engine/store/journal.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import type { PeopleChange } from '../../../engine/store/interfaces.js';
import { flow, pauseDays, registryWith, world, type World } from '../helpers.js';

const TIERS = { ana: 'gold', ben: 'silver', cat: 'silver', dan: 'bronze' };

/** A segment as the API writes it. */
interface SegmentItem {
  readonly id: string;
  readonly kind: string;
  readonly [field: string]: unknown;
}

/** The static segment `picked` of `members`. */
const picked = (...members: string[]): SegmentItem => ({ id: 'picked', name: 'Picked', kind: 'static', members });

/** A real-time segment `vip` of the given tiers. */
const vip = (...tiers: string[]): SegmentItem => ({ id: 'vip', name: 'VIPs', kind: 'realtime', rules: { any: tiers.map((value) => ({ attribute: 'tier', operator: 'is', value })) } });

/** Flow `id`: a Predefined Audience of `audience`, then a 5-day pause. */
function audienceFlow(w: World, id: string, audience: Record<string, string[]>, updateAfterLaunch: 'never' | 'realtime'): void {
  w.engine.save({ ...flow(id, [pauseDays('hold', 5)]), entryPoints: [{ id: 'aud', type: 'predefinedAudience', config: { audience, updateAfterLaunch }, branches: { next: 'hold' } }] });
  w.engine.launch(id);
}

function shop(): World {
  const w = world();
  const tier: { readonly name: string; readonly type: string } = { name: 'tier', type: 'text' };
  w.engine.define('attributes', tier);
  for (const [id, tier] of Object.entries(TIERS)) w.people.upsert({ id, custom: { tier } });
  w.engine.define('segments', vip('gold'));
  w.engine.define('segments', picked('ana'));
  return w;
}

/** Who entered flow `id`, in order (a person twice if they entered twice). */
const entered = (w: World, id: string): string[] => w.steps.filter((s) => s.flow.id === id && s.result.state.steps === 1).map((s) => s.participant.personId);

/** Segment joins and leaves the people store announces, as "+ana" and "-ana". */
function moves(w: World): string[] {
  const seen: string[] = [];
  w.people.onChange((c: PeopleChange) => {
    if (c.kind === 'segmentJoined' || c.kind === 'segmentLeft') seen.push(`${c.kind === 'segmentJoined' ? '+' : '-'}${c.personId} ${c.segmentId}`);
  });
  return seen;
}

t.test('a real-time audience takes in those the replaced rule now matches; those inside stay', async (t) => {
  const w = shop();
  const seen = moves(w);
  audienceFlow(w, 'perk', { segments: ['vip'] }, 'realtime');
  audienceFlow(w, 'snap', { segments: ['vip'] }, 'never');
  await w.engine.idle();
  t.same([entered(w, 'perk'), entered(w, 'snap')], [['ana'], ['ana']], 'the gold member at launch');

  w.engine.replaceSegment(vip('gold', 'silver'));
  await w.engine.idle();
  t.same(seen, ['+ben vip', '+cat vip'], 'the store announces the new members');
  t.same(entered(w, 'perk'), ['ana', 'ben', 'cat'], 'they enter the real-time audience');
  t.same(entered(w, 'snap'), ['ana'], 'an audience fixed at launch takes nobody');

  seen.length = 0;
  w.engine.replaceSegment(vip('bronze'));
  await w.engine.idle();
  t.same(seen, ['-ana vip', '-ben vip', '-cat vip', '+dan vip'], 'leavers first, then joiners');
  t.same(entered(w, 'perk'), ['ana', 'ben', 'cat', 'dan']);
  t.same([...w.engine.participantsOf('perk', 1)].map((p) => p.personId).sort(), ['ana', 'ben', 'cat', 'dan'], 'those who left the segment stay in the flow');

  const renamed: SegmentItem = { ...vip('bronze'), name: 'Bronze VIPs' };
  w.engine.replaceSegment(renamed);
  await w.engine.idle();
  t.same(entered(w, 'perk'), ['ana', 'ben', 'cat', 'dan'], 'a new name alone moves nobody');
});

t.test('new members of a replaced static segment do not enter a real-time audience', async (t) => {
  const w = shop();
  const seen = moves(w);
  audienceFlow(w, 'perk', { segments: ['picked'] }, 'realtime');
  w.engine.replaceSegment(picked('ana', 'ben'));
  await w.engine.idle();
  t.same(seen, ['+ben picked'], 'the membership change is announced');
  t.same(entered(w, 'perk'), ['ana'], 'only a real-time segment adds people after launch');
});

t.test('after a restart the replaced rule is the one followed, and nobody enters again', async (t) => {
  const w = shop();
  audienceFlow(w, 'perk', { segments: ['vip'] }, 'realtime');
  w.engine.replaceSegment(vip('silver'));
  await w.engine.idle();
  await w.engine.close();
  const people = new MemoryPeopleStore(w.clock);
  const steps: typeof w.steps = [];
  const engine = new Engine({ clock: w.clock, people, registry: registryWith(), journal: new GroupCommit(w.backend, { flushMs: 0 }), onStep: (e) => steps.push(e) });
  engine.recover(w.backend);
  await engine.idle();
  t.same(steps, [], 'the restart enters nobody');
  t.same([...people.segmentMembers('vip')].sort(), ['ben', 'cat']);
  await engine.submit('dan', { kind: 'person.update', changes: [{ op: 'set', attribute: 'tier', value: 'silver' }] });
  await engine.idle();
  t.same(steps.filter((s) => s.result.state.steps === 1).map((s) => s.participant.personId), ['dan'], 'a later match of the new rule enters');
  await engine.close();
});
