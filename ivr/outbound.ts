// Placing outbound calls: the `call.place` outbox entry the Outbound call element emits
// (elements/outbound-call.ts), performed by the voice module of its provider through that
// provider's REST API (a Dialer, dialers.ts). The provider is given Junction's own addresses for
// the call: the answer webhook on the hook route (the element's hook) and the status callback
// on the status route, both carrying the person (`p`) and the call's reference (`o`, the outbox
// entry's key), so every webhook of the call reaches the participant even before the API's
// answer is recorded. The result names the provider's call id when its answer gives one.
import { EffectFailure } from '../engine/errors.js';
import type { EffectHandler, Settings } from '../engine/module.js';
import type { Effect } from '../engine/vocabulary.js';
import { ProviderHttp } from '../channels/http.js';
import { hookRoute, statusRoute } from './voice.js';

/** The outbox entry's kind. */
export const PLACE_CALL = 'call.place';

/** What the element asks for (besides the entry's key and person). */
export interface CallRequest {
  /** The voice module's provider name, e.g. `twilio`. */
  readonly provider: string;
  /** Our number the callee sees (E.164). */
  readonly from: string;
  /** The number called (E.164). */
  readonly to: string;
  /** Seconds to let it ring. */
  readonly ringTimeout: number;
  /** The element's hook: the answer webhook carries it. */
  readonly hook: string;
}

/** Where the provider calls Junction back about this call. */
export interface CallAddresses {
  readonly answerUrl: string;
  readonly statusUrl: string;
}

/** What the provider's API answered: its id of the call, when it gives one. */
export interface PlacedCall {
  readonly callId?: string;
}

/** One provider's REST request that places a call; throws EffectFailure (see channels/http.ts). */
export type Dialer = (call: CallRequest, addresses: CallAddresses, settings: Settings, http: ProviderHttp) => Promise<PlacedCall>;

/** Longest one request to a provider's API may take (ms). */
const API_TIMEOUT_MS = 10_000;

/**
 * The `call.place` handler of one voice module; `needs`: the settings a call cannot be placed
 * without, nor its webhooks verified (publicBaseUrl besides). A call is never placed without
 * them: its answer webhook would be refused, and the person called would hear nothing.
 */
export function placeCalls(provider: string, dial: Dialer, needs: readonly string[]): EffectHandler {
  let http: ProviderHttp | undefined;
  const all = ['publicBaseUrl', ...needs];
  return {
    kind: PLACE_CALL,
    accepts: (effect) => effect['provider'] === provider,
    unready: (_effect, settings) => unsetOf(settings, all, provider),
    perform: async (effect, ctx) => {
      const unset = unsetOf(ctx.settings, all, provider);
      if (unset !== undefined) throw new EffectFailure('JCT_PROVIDER_NOT_CONFIGURED', unset, false);
      const call = callRequestOf(effect);
      const placed = await dial(call, addressesOf(effect, call, ctx.settings), ctx.settings, (http ??= new ProviderHttp(provider, API_TIMEOUT_MS)));
      return placed.callId === undefined ? {} : { callId: placed.callId };
    },
  };
}

function addressesOf(effect: Effect, call: CallRequest, settings: Settings): CallAddresses {
  const base = setting(settings, 'publicBaseUrl', call.provider);
  return { answerUrl: hookRoute(base, call.provider, effect.personId, effect.key)(call.hook), statusUrl: statusRoute(base, call.provider, effect.personId, effect.key) };
}

function callRequestOf(effect: Effect): CallRequest {
  const { provider, from, to, ringTimeout, hook } = effect as unknown as CallRequest;
  return { provider, from, to, ringTimeout, hook };
}

/** What outbound calls through `provider` lack: the settings of `names` that are unset, in words; undefined when none is. */
function unsetOf(settings: Settings, names: readonly string[], provider: string): string | undefined {
  const unset = names.filter((name) => !isSet(settings[name]));
  if (unset.length === 0) return undefined;
  const list = unset.map((name) => `"${name}"`).join(', ');
  return `outbound calls through ${provider} need the setting${unset.length > 1 ? 's' : ''} ${list} of the module "${provider}-voice", which ${unset.length > 1 ? 'are' : 'is'} not set`;
}

const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** A setting is set when it is a text, or a list (jambonz's webhookSecrets), that is not empty. */
const isSet = (value: unknown): boolean => isText(value) || (Array.isArray(value) && value.length > 0);

/** A text setting a call cannot be placed without; unset, the call fails for good with a clear code. */
export function setting(settings: Settings, name: string, provider: string): string {
  const value = settings[name];
  if (isText(value)) return value;
  throw new EffectFailure('JCT_PROVIDER_NOT_CONFIGURED', `outbound calls through ${provider} need the setting "${name}" of the module "${provider}-voice"`, false);
}
