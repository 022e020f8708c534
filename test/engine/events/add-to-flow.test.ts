// Add to flow between two flows: variables passed, the person continuing in both or moved, a
// second participant by contact (created when missing), "inAllOtherCases" when the target is
// not active, and the loop rule between flows.
import t from 'tap';
import { world, flow, tag, pauseDays, type World } from '../helpers.js';
import { eventsModule } from '../../../engine/events/index.js';
import { compileFlow, RULES_ADDED_LATER } from '../../../engine/flow/compile.js';

const existing = (id: string, elements: object[], variables: object[] = []) => ({
  schemaVersion: 1,
  id,
  name: id,
  entryPoints: [{ id: 'from', type: 'existingFlow', config: {}, branches: { next: (elements[0] as { id: string }).id } }],
  elements,
  settings: { variables },
});

function launched(w: World, ...docs: object[]): void {
  for (const doc of docs) {
    w.engine.save(doc);
    w.engine.launch((doc as { id: string }).id);
  }
}

const inside = (w: World, flowId: string) => [...w.engine.participantsOf(flowId, 1)];

t.test('the person goes on in both flows, with variables passed', async (t) => {
  const w = world();
  w.people.upsert({ id: 'ana' });
  launched(
    w,
    existing('welcome', [{ id: 'hello', type: 'addTag', config: { tags: ['welcomed'] }, branches: { next: 'hold' } }, pauseDays('hold', 3)], [{ name: 'plan', type: 'text' }]),
    flow('main', [
      { id: 'add', type: 'addToFlow', config: { flow: 'welcome', variables: [{ from: 'tier', to: 'plan' }] }, branches: { next: 'wait' } },
      pauseDays('wait', 1),
    ], { variables: [{ name: 'tier', type: 'text', default: 'gold' }] }),
  );
  await w.engine.enter('main', 'ana');
  await w.engine.idle();
  t.same(w.people.get('ana')!.tags, ['welcomed']);
  t.equal(inside(w, 'main').length, 1, 'still in the first flow');
  t.equal(inside(w, 'welcome')[0]?.vars['plan'], 'gold');
});

t.test('another participant by the email in a variable, created when missing', async (t) => {
  const w = world();
  w.people.upsert({ id: 'ana' });
  launched(
    w,
    existing('referral', [tag('invited', 'invited')]),
    flow('main', [{ id: 'add', type: 'addToFlow', config: { flow: 'referral', another: { channel: 'email', variable: 'friend' } } }], {
      variables: [{ name: 'friend', type: 'text' }],
    }),
  );
  await w.engine.enter('main', 'ana', { vars: { friend: 'Bea@Example.com' } });
  await w.engine.idle();
  const bea = w.people.findByContact('bea@example.com');
  t.ok(bea, 'the friend has a profile now');
  t.same(bea!.tags, ['invited']);
  t.same(w.people.get('ana')!.tags, [], 'not the referrer');
});

t.test('"inAllOtherCases" when the target is not active', async (t) => {
  const w = world();
  w.people.upsert({ id: 'ana' });
  w.engine.save(existing('draft', [tag('x', 'x')]));
  launched(w, flow('main', [{ id: 'add', type: 'addToFlow', config: { flow: 'draft' }, branches: { next: 'yes', inAllOtherCases: 'no' } }, tag('yes', 'added'), tag('no', 'fallback')]));
  await w.engine.enter('main', 'ana');
  await w.engine.idle();
  t.same(w.people.get('ana')!.tags, ['fallback']);
});

t.test('"inAllOtherCases", with the reason counted, when the target cannot take the person: a variable it lacks or of another type, no Existing Flow entry, a contact that is not one', async (t) => {
  const w = world();
  w.people.upsert({ id: 'ana' });
  const noEntry = { ...existing('api-only', [tag('x', 'x')]), entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'x' } }] };
  launched(w, existing('target', [tag('in', 'in-target')], [{ name: 'n', type: 'whole' }]), noEntry);
  const variables = [{ name: 'code', type: 'text' }, { name: 'friend', type: 'text' }];
  const cases = [
    { id: 'type', config: { flow: 'target', variables: [{ from: 'code', to: 'n' }] }, code: 'JCT_VARIABLE_TYPE' },
    { id: 'unknown', config: { flow: 'target', variables: [{ from: 'code', to: 'missing' }] }, code: 'JCT_VARIABLE_UNKNOWN' },
    { id: 'entry', config: { flow: 'api-only' }, code: 'JCT_ENTRY_NONE' },
    { id: 'contact', config: { flow: 'target', another: { channel: 'email', variable: 'friend' } }, code: 'JCT_CONTACT_INVALID' },
  ];
  for (const c of cases) {
    const main = flow(`main-${c.id}`, [{ id: 'add', type: 'addToFlow', config: c.config, branches: { next: 'yes', inAllOtherCases: 'no' } }, tag('yes', `added-${c.id}`), tag('no', `fallback-${c.id}`)], { variables });
    launched(w, main);
    await w.engine.enter(`main-${c.id}`, 'ana', { vars: { code: 'abc', friend: 'not-an-email' } });
    await w.engine.idle();
    t.ok(w.people.get('ana')!.tags.includes(`fallback-${c.id}`), `${c.id}: inAllOtherCases`);
    t.equal(w.engine.metrics(`main-${c.id}`).elements.find((n) => n.id === 'add')?.failures, 1, `${c.id}: counted as a failure`);
    const failures = w.steps.filter((e) => e.flow.id === `main-${c.id}`).flatMap((e) => e.result.failures);
    t.match(failures, [{ code: c.code }], `${c.id}: the reason`);
  }
  t.notOk(w.people.get('ana')!.tags.includes('in-target'), 'nobody entered');
});

t.test('an instant loop between two flows stops at the first repeat', async (t) => {
  const w = world();
  w.people.upsert({ id: 'ana' });
  const ping = existing('ping', [{ id: 'to-pong', type: 'addToFlow', config: { flow: 'pong' } }]);
  const pong = existing('pong', [{ id: 'to-ping', type: 'addToFlow', config: { flow: 'ping' } }]);
  launched(w, { ...ping, entryPoints: [...ping.entryPoints, { id: 'api', type: 'flowApi', config: {}, branches: { next: 'to-pong' } }] }, pong);
  await w.engine.enter('ping', 'ana', { entry: 'api' });
  await w.engine.idle();
  t.equal(w.engine.metrics('pong').elements.find((n) => n.id === 'to-ping')?.failures, 1, 'pong → ping refused');
  t.ok(w.logs.some((l) => (l.obj as { code?: string }).code === 'JCT_FLOW_LOOP'));
});

t.test('a flow started by its own product events does not loop', async (t) => {
  const w = world({ modules: [eventsModule] });
  w.people.upsert({ id: 'ana' });
  const on = (id: string, event: string) => ({
    schemaVersion: 1,
    id,
    name: id,
    entryPoints: [{ id: 'e', type: 'realTimeEvent', config: { conditions: [{ event, happened: true }] }, branches: { next: 't' } }],
    elements: [tag('t', id)],
  });
  launched(w, on('again', 'flow.exited'), on('entered', 'flow.entered'), flow('first', [tag('x', 'first')]));
  await w.engine.enter('first', 'ana');
  await w.engine.idle();
  t.same([...w.people.get('ana')!.tags].sort(), ['again', 'entered', 'first'], 'each flow ran, none twice in the same moment');
  t.equal(w.engine.metrics('again').profilesInFlow, 1);
});

t.test('adding people to its own flow needs that flow to have an Existing Flow entry point (a rule added later)', async (t) => {
  const w = world();
  const self = flow('loop', [{ id: 'again', type: 'addToFlow', config: { flow: 'loop' } }]);
  t.same(w.engine.validate(self), [
    {
      code: 'JCT_ADD_TO_FLOW_SELF_NO_ENTRY',
      message: 'adds people to this flow ("loop"), which has no Existing Flow entry point to take them: every add would fail; add an Existing Flow entry point or name another flow',
      path: '$.elements[0].config.flow',
      elementId: 'again',
    },
  ]);
  const withEntry = { ...self, entryPoints: [...(self.entryPoints as object[]), { id: 'from', type: 'existingFlow', config: {}, branches: { next: 'again' } }] };
  t.same(w.engine.validate(withEntry), [], 'with an Existing Flow entry point');
  t.same(w.engine.validate(flow('main', [{ id: 'add', type: 'addToFlow', config: { flow: 'loop' } }])), [], "another flow's entry points are not known here");
  const launchedBefore = compileFlow(self, { registry: w.engine.registry, tolerate: RULES_ADDED_LATER });
  t.ok(launchedBefore.ok, 'a version launched before the rule still compiles');
  await w.engine.close();
});

t.test('a flow adds people to itself after a wait; an instant add to itself is still a loop', async (t) => {
  const w = world();
  w.people.upsert({ id: 'ana' });
  const referral = (wait: boolean) => ({
    schemaVersion: 1,
    id: 'ref',
    name: 'ref',
    entryPoints: [
      { id: 'api', type: 'flowApi', config: {}, branches: { next: wait ? 'hold' : 'add' } },
      { id: 'from', type: 'existingFlow', config: {}, branches: { next: 'invited' } },
    ],
    elements: [
      ...(wait ? [pauseDays('hold', 1, 'add')] : []),
      { id: 'add', type: 'addToFlow', config: { flow: 'ref', another: { channel: 'email', variable: 'friend' } } },
      tag('invited', 'invited'),
    ],
    settings: { variables: [{ name: 'friend', type: 'text' }] },
  });
  launched(w, referral(true));
  await w.engine.enter('ref', 'ana', { entry: 'api', vars: { friend: 'bea@example.com' } });
  await w.engine.idle();
  w.clock.advance(2 * 86_400_000);
  await w.engine.idle();
  t.same(w.people.findByContact('bea@example.com')?.tags, ['invited'], 'the friend entered the same flow after the wait');
  t.equal(w.engine.metrics('ref').elements.find((n) => n.id === 'add')?.failures, 0);
  const v = world();
  v.people.upsert({ id: 'ana' });
  launched(v, referral(false));
  await v.engine.enter('ref', 'ana', { entry: 'api', vars: { friend: 'bea@example.com' } });
  await v.engine.idle();
  t.equal(v.engine.metrics('ref').elements.find((n) => n.id === 'add')?.failures, 1, 'in the moment it was entered: refused');
  t.ok(v.logs.some((l) => (l.obj as { code?: string }).code === 'JCT_FLOW_LOOP'));
  await w.engine.close();
  await v.engine.close();
});
