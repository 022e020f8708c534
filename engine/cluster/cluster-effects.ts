// The effects a shard's steps emit for what crosses shards (runtime/step.ts), carried out through
// the cluster's Core once the step is durable, and the module a sharded process adds to its
// registry to perform them.
// - Add to flow of another person (by phone or email, ADD_OTHER): that person may live in another
//   shard, or in none yet, so they are entered (created when missing, in the shard their contact
//   leads to) through the target flow's Existing Flow entry point. A refusal the flow gives
//   (re-entry, a variable it does not take) is the effect's result, as it is an entry "not
//   entered" on one engine. The effect carries the chain of flows of its moment, so the loop rule
//   (A adds to B adds to A, with no wait between) holds across shards: the entered participant's
//   own additions are checked against it. What one engine does and this cannot: a retry after a
//   crash between entering and recording the result may enter them again where the flow lets
//   people re-enter.
// - A do-not-contact change (SHARE_DO_NOT_CONTACT): the step's own shard applied it with the step;
//   it goes through the cluster log to every shard (its own again, alike), so the list the API
//   shows, read from any shard, has it. Changes are applied in the order the log received them:
//   a change made through the API in the few milliseconds between a step and its effect's turn
//   is overtaken by the step's, and two opposite changes of one contact by steps whose effects
//   were retried (the cluster out of reach) may land in the other order.
// A cluster out of reach is retried by the outbox.
import type { Core } from '../core.js';
import type { EffectHandler, Module } from '../module.js';
import { ADD_OTHER, SHARE_DO_NOT_CONTACT } from '../runtime/step.js';
import type { DoNotContactChange, FlowAddition } from '../vocabulary.js';
import { EffectFailure, toJunctionError } from '../errors.js';

/** Codes meaning the cluster could not be asked now: tried again later. */
const RETRYABLE = new Set(['JCT_SHARD_NOT_HERE', 'JCT_SHARD_UNREACHABLE', 'JCT_STORE_UNAVAILABLE']);

/** The module a sharded process adds to its registry: the handlers of the cluster's effects over its Core. */
export function clusterEffectsModule(core: () => Core): Module {
  return { name: 'cluster', effects: [addOther(core), shareDoNotContact(core)] };
}

function addOther(core: () => Core): EffectHandler {
  return {
    kind: ADD_OTHER,
    perform: (effect) =>
      throughCore(async () => {
        const { flowId, vars, contact, chain } = effect as unknown as Required<FlowAddition> & { chain?: readonly string[] };
        const person = contact.channel === 'phone' ? { phones: [contact.value] } : { emails: [contact.value] };
        const receipt = await core().submitFor(person, { kind: 'flow.enter', flowId, through: 'existingFlow', vars, person, ...(chain === undefined ? {} : { chain }) });
        return { personId: receipt.personId, entered: receipt.entered ?? false, ...(receipt.reason === undefined ? {} : { reason: receipt.reason }) };
      }, 'JCT_ADD_TO_FLOW'),
  };
}

function shareDoNotContact(core: () => Core): EffectHandler {
  return {
    kind: SHARE_DO_NOT_CONTACT,
    perform: (effect) =>
      throughCore(async () => {
        const { change } = effect as unknown as { change: DoNotContactChange };
        await core().submit(effect.personId, { kind: 'doNotContact', change });
        return { shared: change.entries.length };
      }, 'JCT_DO_NOT_CONTACT'),
  };
}

/** `work`'s result; its failure as the effect's, retried when the cluster could not be asked. */
async function throughCore<T>(work: () => Promise<T>, code: string): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const e = toJunctionError(err, code);
    throw new EffectFailure(e.code, e.message, RETRYABLE.has(e.code));
  }
}
