// Add to flow of another person (by phone or email) in a sharded cluster. That person may live in
// another shard, or in none yet, so the adding step emits an effect (runtime/step.ts ADD_OTHER)
// instead of entering them in its own engine; once the step is durable, the outbox hands it to
// this module's handler, which enters the contact's person (created when missing, in the shard
// their contact leads to) through the target flow's Existing Flow entry point, by the Core. A
// refusal the flow gives (re-entry, a variable it does not take) is the effect's result, as it
// is an entry "not entered" on one engine; a cluster out of reach is retried by the outbox. What
// one engine does and this cannot: the loop rule of one moment (A adds to B adds to A) does not
// follow an addition into another shard, and a retry after a crash between entering and
// recording the result may enter them again where the flow lets people re-enter.
import type { Core } from '../core.js';
import type { Module } from '../module.js';
import { ADD_OTHER } from '../runtime/step.js';
import type { FlowAddition } from '../vocabulary.js';
import { EffectFailure, toJunctionError } from '../errors.js';

/** Codes meaning the cluster could not be asked now: tried again later. */
const RETRYABLE = new Set(['JCT_SHARD_NOT_HERE', 'JCT_SHARD_UNREACHABLE', 'JCT_STORE_UNAVAILABLE']);

/** The module a sharded process adds to its registry: the handler of ADD_OTHER over its Core. */
export function addOtherModule(core: () => Core): Module {
  return {
    name: 'cluster',
    effects: [
      {
        kind: ADD_OTHER,
        async perform(effect) {
          const { flowId, vars, contact } = effect as unknown as Required<FlowAddition>;
          const person = contact.channel === 'phone' ? { phones: [contact.value] } : { emails: [contact.value] };
          try {
            const receipt = await core().submitFor(person, { kind: 'flow.enter', flowId, through: 'existingFlow', vars, person });
            return { personId: receipt.personId, entered: receipt.entered ?? false, ...(receipt.reason === undefined ? {} : { reason: receipt.reason }) };
          } catch (err) {
            const e = toJunctionError(err, 'JCT_ADD_TO_FLOW');
            throw new EffectFailure(e.code, e.message, RETRYABLE.has(e.code));
          }
        },
      },
    ],
  };
}
