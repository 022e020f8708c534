// Inbound Call entry point: a caller enters when they call one of its numbers (their phone
// number finds or creates their profile). Several may stand in one flow; a number answers one
// flow: another flow naming it is not launched while this one runs (holds). The call's first
// webhook is answered with whatever IVR elements the entry step reaches (Exit ends the call).
import { Type, type Static } from '@sinclair/typebox';
import { defineElement } from '../../engine/element.js';
import { phoneOf, type InboundCallEntry } from '../call.js';

const Config = Type.Object(
  { numbers: Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { minItems: 1, maxItems: 1000, uniqueItems: true, description: 'our numbers callers dial (any format with a country code, or its digits without "+" as Plivo and Vonage write them)' }) },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

export default defineElement<Config, InboundCallEntry>({
  type: 'inboundCall',
  role: 'entry',
  title: 'Inbound call',
  description: 'Callers enter when they call one of its numbers; the IVR elements that follow answer the call.',
  config: Config,
  example: { numbers: ['+385 1 600 1000'] },
  branches: () => ['next'],
  triggeredBy: 'call',
  holds: (entry) => entry.numbers,
  compile: (config, ctx) => ({
    numbers: config.numbers.map((n, i) => {
      const phone = phoneOf(n); // as providers' consoles write them too: digits without "+"
      if (phone === undefined) ctx.problem('JCT_PHONE_INVALID', `"${n}" is not a valid phone number with its country code`, `.numbers[${i}]`);
      return phone ?? n;
    }),
  }),
});
