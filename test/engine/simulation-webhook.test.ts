// `junction simulate` and Call webhook: a timeline's `webhook` event says how the service behind
// an element answers from then on; its values reach the flow as a real answer's would, a 4xx or
// 5xx takes its branch at once, and an event naming no Call webhook element is refused.
import t from 'tap';
import { simulate } from '../../engine/simulation.js';
import { assembleRegistry } from '../../bin/modules.js';

const registry = assembleRegistry();

const flow = {
  schemaVersion: 1,
  id: 'crm',
  name: 'crm',
  entryPoints: [{ id: 'start', type: 'flowApi', config: {}, branches: { next: 'lookup' } }],
  elements: [
    {
      id: 'lookup',
      type: 'callWebhook',
      config: { url: 'https://crm.example.com/who', answer: [{ variable: 'tier', path: '$.tier' }, { variable: 'city', header: 'X-City' }] },
      branches: { next: 'save', clientError: 'unknown', serverError: 'down' },
    },
    { id: 'save', type: 'updateProfile', config: { updates: [{ attribute: 'lastName', value: '{{tier}}' }, { attribute: 'city', value: '{{city}}' }] } },
    { id: 'unknown', type: 'addTag', config: { tags: ['unknown'] } },
    { id: 'down', type: 'addTag', config: { tags: ['down'] } },
  ],
  settings: { variables: [{ name: 'tier', type: 'text' }, { name: 'city', type: 'text' }] },
};

const enter = (at: string, person: string) => ({ at, type: 'enter', person });

t.test("the element's answer comes from the timeline: values, headers and the status's branch", async (t) => {
  const r = await simulate({
    registry,
    flow,
    events: [
      { at: '2026-01-05T09:00:00Z', type: 'webhook', element: 'lookup', status: 200, body: { tier: 'gold' }, headers: { 'x-city': 'Split' } },
      enter('2026-01-05T09:01:00Z', 'ana'),
      { at: '2026-01-05T10:00:00Z', type: 'webhook', element: 'lookup', status: 404 },
      enter('2026-01-05T10:01:00Z', 'ben'),
      { at: '2026-01-05T11:00:00Z', type: 'webhook', element: 'lookup', status: 502 },
      enter('2026-01-05T11:01:00Z', 'cid'),
    ],
  });
  t.match(r.people.find((p) => p.id === 'ana')?.attributes, { lastName: 'gold', city: 'Split' });
  t.same(r.people.find((p) => p.id === 'ben')?.tags, ['unknown']);
  t.same(r.people.find((p) => p.id === 'cid')?.tags, ['down'], 'a 5xx is not retried in a simulation');
});

t.test('without a webhook event the request succeeds with an empty answer', async (t) => {
  const r = await simulate({ registry, flow, events: [enter('2026-01-05T09:01:00Z', 'ana')] });
  t.match(r.participants[0]?.path.map((s) => s.element), ['start', 'lookup', 'save']);
});

t.test('a webhook event must name a Call webhook element of the flow', async (t) => {
  await t.rejects(simulate({ registry, flow, events: [{ at: '2026-01-05T09:00:00Z', type: 'webhook', element: 'save', status: 200 }] }), {
    code: 'JCT_EVENTS_INVALID',
    message: /no Call webhook element "save"/,
  });
});
