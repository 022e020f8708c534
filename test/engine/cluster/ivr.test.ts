// IVR calls in a sharded cluster: two processes over four shards, the menu of test/ivr/menu.ts
// launched through one; calls from several callers (people of several shards) all made to the
// other process, Twilio and jambonz dialects: each dialog runs through to its end wherever the
// caller's shard is held (the provider's webhooks answered by the process they reach, the
// caller's journey stepped in their shard's engine), and the caller's person is found by phone.
import t from 'tap';
import { ivrModule } from '../../../ivr/index.js';
import { VOICE_MODULES } from '../../../ivr/providers.js';
import { jambonzCaller, twilioCaller, type MakeCaller } from '../../ivr/callers.js';
import { MENU_FLOW, OUR_NUMBER } from '../../ivr/menu.js';
import { shardOfPersonId } from '../../../engine/cluster/shard-of.js';
import { unlessPostgres } from '../store/postgres-service.js';
import { call, clusterOf, eventually, type TestProcess } from './cluster-service.js';

const skip = await unlessPostgres(t);

for (const makeCaller of [twilioCaller, jambonzCaller] as readonly MakeCaller[]) {
  const probe = makeCaller('');
  t.test(`${probe.name}: menu dialogs of callers of several shards, all through the process that did not launch the flow`, { skip }, async (t) => {
    const cluster = await clusterOf(t, { processes: 2, shards: 4, modules: [ivrModule, ...VOICE_MODULES], settings: { [probe.module]: probe.settings } });
    const [a, b] = cluster.processes as [TestProcess, TestProcess];
    t.equal((await call(a.app, 'POST', '/api/v1/flows', MENU_FLOW)).status, 201);
    t.equal((await call(a.app, 'POST', '/api/v1/flows/menu/launch')).status, 200);
    await eventually(() => call(b.app, 'GET', '/api/v1/flows/menu'), (r) => r.body?.status === 'active');
    const caller = makeCaller(b.address);
    const shards = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const from = `+1415555${String(7000 + i)}`;
      const id = `${probe.name}-cluster-call-${i}`;
      const menu = await caller.start(id, from, OUR_NUMBER);
      t.same(menu.said, ['Welcome to Acme.', 'Press 1 for sales, 2 for support.'], `call ${i}: the menu`);
      const pin = await caller.reply(menu, id, from, OUR_NUMBER, { digits: '2' });
      t.same(pin.said, ['Enter your PIN, then hash.']);
      const done = await caller.reply(pin, id, from, OUR_NUMBER, { digits: '1234' });
      t.same(done, { said: ['Thank you 1234.'], hangup: true }, `call ${i}: through to the end`);
      const person = await call(a.app, 'GET', `/api/v1/people?phone=${encodeURIComponent(from)}`);
      t.equal(person.status, 200, 'the caller is a person of the cluster, found through the other process');
      shards.add(shardOfPersonId(person.body.id as string, 4));
    }
    t.ok(shards.size > 1, `callers of several shards: ${[...shards].join(', ')}`);
  });
}
