// Segment Audience with event conditions, through a real engine (the element case harness
// cannot give a person an event history): happened and not happened, how often, within which
// time, with which properties, mixed with attribute conditions in AND/OR groups, counting the
// whole kept history (events before launch and before entering too), and built-in events.
import t from 'tap';
import { eventsModule } from '../../../engine/events/index.js';
import { world, flow, tag, pauseDays, type World } from '../helpers.js';

function shop(): World {
  const w = world({ modules: [eventsModule] });
  w.people.defineAttribute({ name: 'tier', type: 'text' });
  w.people.defineEvent({ name: 'purchase', properties: [{ name: 'total', type: 'decimal' }, { name: 'category', type: 'text' }, { name: 'on', type: 'date' }] });
  w.people.defineEvent({ name: 'complaint', properties: [] });
  for (const id of ['ana', 'ben', 'cat', 'dan']) w.people.upsert({ id });
  return w;
}

/** Flow `id`: a Segment Audience over `segments`, branch n → tag `s<n>`, else → tag `else`. */
function segmentFlow(w: World, id: string, segments: unknown[], before: ReturnType<typeof pauseDays>[] = []): void {
  const branches: Record<string, string> = { else: 'else' };
  segments.forEach((_, i) => (branches[String(i + 1)] = `s${i + 1}`));
  const first = { id: 'seg', type: 'segmentAudience', config: { segments: segments.map((conditions) => ({ conditions })) }, branches };
  w.engine.save(flow(id, [...before, first, ...segments.map((_, i) => tag(`s${i + 1}`, `s${i + 1}`)), tag('else', 'else')]));
  w.engine.launch(id);
}

const tags = (w: World, id: string) => w.people.get(id)!.tags;
const DAY = 86_400_000;

t.test('happened, not happened, how often and within which time', async (t) => {
  const w = shop();
  await w.engine.event('ana', 'purchase', { total: 10 });
  await w.engine.event('ana', 'purchase', { total: 20 });
  await w.engine.event('ana', 'purchase', { total: 30 });
  await w.engine.event('ben', 'purchase', { total: 500 }, w.clock.now() - 20 * DAY);
  await w.engine.event('cat', 'complaint');
  segmentFlow(w, 'f', [
    { all: [{ event: 'purchase', happened: true, times: { operator: 'atLeast', count: 3 } }] },
    { all: [{ event: 'purchase', happened: true, within: { amount: 7, unit: 'days' } }] },
    { all: [{ event: 'purchase', happened: true }, { event: 'complaint', happened: false }] },
  ]);
  for (const id of ['ana', 'ben', 'cat']) await w.engine.enter('f', id);
  t.same(tags(w, 'ana'), ['s1'], 'three purchases (all from before launch: the segment counts the kept history)');
  t.same(tags(w, 'ben'), ['s3'], 'one purchase 20 days ago: not within 7 days, but happened with no complaint');
  t.same(tags(w, 'cat'), ['else']);
});

t.test('times exactly and atMost', async (t) => {
  const w = shop();
  for (let i = 0; i < 2; i++) await w.engine.event('ana', 'purchase');
  for (let i = 0; i < 3; i++) await w.engine.event('ben', 'purchase');
  segmentFlow(w, 'f', [
    { all: [{ event: 'purchase', happened: true, times: { operator: 'exactly', count: 3 } }] },
    { all: [{ event: 'purchase', happened: true, times: { operator: 'atMost', count: 2 } }] },
  ]);
  for (const id of ['ana', 'ben', 'cat']) await w.engine.enter('f', id);
  t.same(tags(w, 'ana'), ['s2']);
  t.same(tags(w, 'ben'), ['s1']);
  t.same(tags(w, 'cat'), ['else'], 'atMost 2 still needs at least one');
});

t.test('property filters with each type\'s operators', async (t) => {
  const w = shop();
  await w.engine.event('ana', 'purchase', { total: 120, category: 'Shoes', on: '2026-01-03' });
  await w.engine.event('ben', 'purchase', { total: 80, category: 'shoes', on: '2025-11-01' });
  await w.engine.event('cat', 'purchase', { category: 'hats' });
  segmentFlow(w, 'f', [
    {
      all: [
        {
          event: 'purchase',
          happened: true,
          where: [
            { property: 'total', operator: 'greaterOrEqual', value: 100 },
            { property: 'category', operator: 'is', value: 'shoes' },
            { property: 'on', operator: 'wasWithin', value: { amount: 7, unit: 'days' } },
          ],
        },
      ],
    },
    { all: [{ event: 'purchase', happened: true, where: [{ property: 'category', operator: 'startsWith', value: 'sh' }] }] },
    { all: [{ event: 'purchase', happened: true, where: [{ property: 'total', operator: 'isEmpty' }] }] },
  ]);
  for (const id of ['ana', 'ben', 'cat', 'dan']) await w.engine.enter('f', id);
  t.same(tags(w, 'ana'), ['s1'], 'every filter matches one event (text compared ignoring case)');
  t.same(tags(w, 'ben'), ['s2']);
  t.same(tags(w, 'cat'), ['s3'], 'a property the event did not carry is empty');
  t.same(tags(w, 'dan'), ['else']);
});

t.test('every filter must match the same event', async (t) => {
  const w = shop();
  await w.engine.event('ana', 'purchase', { total: 500, category: 'hats' });
  await w.engine.event('ana', 'purchase', { total: 5, category: 'shoes' });
  segmentFlow(w, 'f', [
    {
      all: [
        {
          event: 'purchase',
          happened: true,
          where: [
            { property: 'total', operator: 'greaterThan', value: 100 },
            { property: 'category', operator: 'is', value: 'shoes' },
          ],
        },
      ],
    },
  ]);
  await w.engine.enter('f', 'ana');
  t.same(tags(w, 'ana'), ['else']);
});

t.test('event and attribute conditions in AND/OR groups', async (t) => {
  const w = shop();
  w.people.update('ana', [{ op: 'set', attribute: 'tier', value: 'gold' }]);
  w.people.update('ben', [{ op: 'set', attribute: 'tier', value: 'gold' }]);
  await w.engine.event('ben', 'complaint');
  await w.engine.event('cat', 'purchase');
  segmentFlow(w, 'f', [
    {
      all: [
        { attribute: 'tier', operator: 'is', value: 'gold' },
        { any: [{ event: 'complaint', happened: false }, { event: 'purchase', happened: true }] },
      ],
    },
    { any: [{ event: 'purchase', happened: true }, { event: 'complaint', happened: true }] },
  ]);
  for (const id of ['ana', 'ben', 'cat', 'dan']) await w.engine.enter('f', id);
  t.same(tags(w, 'ana'), ['s1'], 'gold, no complaint');
  t.same(tags(w, 'ben'), ['s2'], 'gold but complained and never bought');
  t.same(tags(w, 'cat'), ['s2']);
  t.same(tags(w, 'dan'), ['else']);
});

t.test('the history is read when the person reaches the segment, not when entering', async (t) => {
  const w = shop();
  segmentFlow(w, 'f', [{ all: [{ event: 'purchase', happened: true, within: { amount: 1, unit: 'days' } }] }], [pauseDays('p', 2, 'seg')]);
  await w.engine.enter('f', 'ana');
  await w.engine.enter('f', 'ben');
  await w.engine.event('ben', 'purchase');
  w.clock.advance(DAY + 3_600_000);
  await w.engine.event('ana', 'purchase');
  w.clock.advance(DAY);
  await w.engine.idle();
  t.same(tags(w, 'ana'), ['s1'], 'bought during the pause, within the last day');
  t.same(tags(w, 'ben'), ['else'], 'bought at entry: more than a day before reaching the segment');
});

t.test('built-in events: a product event of another flow', async (t) => {
  const w = shop();
  w.engine.save(flow('welcome', [tag('w', 'welcomed')]));
  w.engine.launch('welcome');
  segmentFlow(w, 'f', [
    { all: [{ event: 'flow.exited', happened: true, within: { amount: 30, unit: 'days' }, where: [{ property: 'flowId', operator: 'is', value: 'welcome' }] }] },
  ]);
  await w.engine.enter('welcome', 'ana');
  await w.engine.idle();
  await w.engine.enter('f', 'ana');
  await w.engine.enter('f', 'ben');
  t.same(tags(w, 'ana'), ['welcomed', 's1']);
  t.same(tags(w, 'ben'), ['else']);
});
