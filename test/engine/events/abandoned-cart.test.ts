// Abandoned cart on the virtual clock: addToCart starts the flow (People Real-Time Event),
// Wait for an event gives purchase two hours; without it the person is reminded, with it they
// are thanked. The cart's item id is mapped into a variable on the way in.
import t from 'tap';
import { eventsModule } from '../../../engine/events/index.js';
import { world, type World } from '../helpers.js';

function shop(): World {
  const w = world({ modules: [eventsModule] });
  w.people.defineEvent({ name: 'addToCart', properties: [{ name: 'itemId', type: 'text' }, { name: 'price', type: 'decimal' }] });
  w.people.defineEvent({ name: 'purchase', properties: [{ name: 'orderId', type: 'text' }] });
  w.people.upsert({ id: 'ana', phones: ['+385911234567'] });
  w.people.upsert({ id: 'ben', phones: ['+385911234568'] });
  w.engine.save({
    schemaVersion: 1,
    id: 'cart',
    name: 'Abandoned cart',
    entryPoints: [
      {
        id: 'added',
        type: 'realTimeEvent',
        config: { conditions: [{ event: 'addToCart', happened: true }], variables: [{ event: 'addToCart', property: 'itemId', variable: 'item' }] },
        branches: { next: 'bought' },
      },
    ],
    elements: [
      { id: 'bought', type: 'waitForEvent', config: { conditions: [{ event: 'purchase', happened: true }], waitFor: { amount: 2, unit: 'hours' } }, branches: { happened: 'thanks', notHappened: 'remind' } },
      { id: 'remind', type: 'addTag', config: { tags: ['reminded'] } },
      { id: 'thanks', type: 'addTag', config: { tags: ['bought'] } },
    ],
    settings: { variables: [{ name: 'item', type: 'text' }] },
  });
  w.engine.launch('cart');
  return w;
}

t.test('no purchase within two hours: reminded, with the item in a variable', async (t) => {
  const w = shop();
  const r = await w.engine.event('ana', 'addToCart', { itemId: 'A-1', price: '19.90' });
  t.equal(r.personId, 'ana');
  const [p] = [...w.engine.participantsOf('cart', 1)];
  t.equal(p?.vars['item'], 'A-1');
  await w.clock.advance(119 * 60_000);
  t.same(w.people.get('ana')!.tags, []);
  await w.clock.advance(60_000);
  await w.engine.idle();
  t.same(w.people.get('ana')!.tags, ['reminded']);
});

t.test('a purchase within two hours: thanked at once', async (t) => {
  const w = shop();
  await w.engine.event('ben', 'addToCart', { itemId: 'B-2' });
  await w.clock.advance(30 * 60_000);
  const r = await w.engine.event('ben', 'purchase', { orderId: 'o-1' });
  t.equal(r.delivered, 1);
  t.same(w.people.get('ben')!.tags, ['bought']);
});

t.test('bad events are refused with a code and counted', async (t) => {
  const w = shop();
  await t.rejects(w.engine.event('ana', 'addToKart'), { code: 'JCT_EVENT_UNKNOWN' });
  await t.rejects(w.engine.event('ana', 'addToCart', { price: 'cheap' }), { code: 'JCT_EVENT_PROPERTY' });
  await t.rejects(w.engine.event('ana', 'addToCart', { colour: 'red' }), { code: 'JCT_EVENT_PROPERTY' });
  await t.rejects(w.engine.event('ana', 'flow.entered'), { code: 'JCT_EVENT_RESERVED' });
  await t.rejects(w.engine.event('nobody', 'addToCart'), { code: 'JCT_PERSON_UNKNOWN' });
  await t.rejects(w.engine.event('ana', 'addToCart', {}, w.clock.now() + 3_600_000), { code: 'JCT_EVENT_TIME' });
  t.equal(w.engine.refusedInputs.get('event JCT_EVENT_PROPERTY'), 2);
  t.equal([...w.engine.participantsOf('cart', 1)].length, 0, 'nothing entered');
});
