// The shard calls tried once more after their engine caught up with the cluster log
// (engine/cluster/calls.ts withCatchUp): a flow another process just launched is applied here a
// moment later, and a call for it in between succeeds once caught up; a refusal the log did not
// change, or that is not about a flow, is answered as it was.
import t from 'tap';
import { SHARD_CALLS, withCatchUp } from '../../../engine/cluster/calls.js';
import type { Engine } from '../../../engine/runtime/engine.js';
import { flow, pauseDays, world } from '../helpers.js';

const add = { flowId: 'late', people: [{ person: { phones: ['+14155550100'] } }], options: {} };

t.test('a flow the engine had not applied yet: caught up, the call is made again and succeeds', async (t) => {
  const { engine } = world();
  let caughtUp = 0;
  const calls = withCatchUp(SHARD_CALLS, async (e: Engine) => {
    caughtUp++;
    e.save(flow('late', [pauseDays('p', 1)]));
    e.launch('late');
    e.recordClusterApplied(e.clusterApplied + 1);
  });
  const report = await calls.addParticipants(engine, add);
  t.equal(caughtUp, 1);
  t.equal(report.flowId, 'late');
  t.equal(report.participants.length, 1, 'the person added');
});

t.test('a refusal the log did not change is answered as it was; one not about a flow is not retried', async (t) => {
  const { engine } = world();
  let caughtUp = 0;
  const calls = withCatchUp(SHARD_CALLS, async () => void caughtUp++);
  await t.rejects(calls.addParticipants(engine, add), { code: 'JCT_FLOW_UNKNOWN' }, 'nothing applied: the first refusal');
  t.equal(caughtUp, 1);
  engine.save(flow('late', [pauseDays('p', 1)]));
  engine.launch('late');
  await t.rejects(calls.addParticipants(engine, { ...add, options: { entry: 'nowhere' } }), { code: /^JCT_ENTRY/ });
  t.equal(caughtUp, 1, 'a refusal of the call itself: no catching up');
});
