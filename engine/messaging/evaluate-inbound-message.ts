// Evaluate inbound message: waits for the participant's next message on a channel to one of
// our numbers and sends it down the first branch whose condition it meets, with the same
// priority as Inbound Message entry points (keywords.ts); "noMatch" when none does, "noReply"
// when none comes within the timeout (without one it waits indefinitely). The text is kept in
// the flow variable LastInboundMessage when the flow declares it (and in `saveTo` if given).
// A keyword that starts another flow interrupts this wait unless `keywords` is "ignore".
import { Type, type Static } from '@sinclair/typebox';
import { defineElement } from '../element.js';
import { DurationSchema, type Duration } from '../flow-schema.js';
import type { Channel } from '../person.js';
import { addDuration, checkDurationLength } from '../calendar.js';
import { ConditionSchema, checkCondition } from './condition.js';
import { KeywordIndex } from './keywords.js';
import { ourAddress } from '../people/contacts.js';
import { messageWaitKey } from './wait-keys.js';
import { MessageChannel } from './inbound-message.js';

const LAST_INBOUND = 'LastInboundMessage';

const Config = Type.Object(
  {
    channel: MessageChannel,
    number: Type.String({ minLength: 1, maxLength: 320, description: 'our number, short code or address the reply must come to' }),
    branches: Type.Array(
      Type.Object({ name: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$' }), condition: ConditionSchema }, { additionalProperties: false }),
      { minItems: 1, maxItems: 50, description: 'named branches, each with its condition' },
    ),
    timeout: Type.Optional(DurationSchema),
    saveTo: Type.Optional(Type.String({ minLength: 1, description: 'a text flow variable that gets the text' })),
    keywords: Type.Optional(Type.Union([Type.Literal('interrupt'), Type.Literal('ignore')], { default: 'interrupt', description: "whether another flow's keyword ends this wait" })),
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

interface Prepared {
  readonly on: string;
  readonly index: KeywordIndex<number>;
  readonly channel: Channel;
  readonly number: string;
  readonly noMatch: number;
  readonly noReply: number;
  readonly timeout: Duration | undefined;
  readonly saveTo: readonly string[];
  readonly interruptible: boolean;
}

export default defineElement<Config, Prepared>({
  type: 'evaluateInboundMessage',
  role: 'element',
  title: 'Evaluate inbound message',
  description: "Waits for the person's next message to a number and branches on it; noMatch, or noReply after the timeout.",
  config: Config,
  example: {
    channel: 'sms',
    number: '+385800100',
    branches: [
      { name: 'yes', condition: { operator: 'matchesText', values: ['yes', 'y'] } },
      { name: 'no', condition: { operator: 'matchesText', values: ['no', 'n'] } },
    ],
    timeout: { amount: 1, unit: 'days' },
  },
  branches: (config) => [...config.branches.map((b) => b.name), 'noMatch', 'noReply'],
  branchesFromConfig: 'the `name` of each item of `branches`, then `noMatch` and `noReply`',
  branchesNeverTaken: [{ branches: ['noReply'], config: Type.Not(Type.Object({ timeout: Type.Unknown() })), when: 'without "timeout" (it waits for the reply however long it takes)', fix: 'give it a "timeout" duration' }],
  waits: true,
  compile: (config, ctx) => {
    const names = new Set<string>();
    const conditions = config.branches.map((b, i) => {
      if (names.has(b.name) || b.name === 'noMatch' || b.name === 'noReply') ctx.problem('JCT_BRANCH_DUPLICATE', `branch "${b.name}" is named twice`, `.branches[${i}].name`);
      names.add(b.name);
      return checkCondition(b.condition, config.channel, ctx, `.branches[${i}].condition`);
    });
    checkDurationLength(config.timeout, 'a timeout', '.timeout', ctx);
    if (config.saveTo !== undefined && ctx.variables.get(config.saveTo) !== 'text') ctx.problem('JCT_VARIABLE_UNKNOWN', `"${config.saveTo}" is not a text flow variable`, '.saveTo');
    const number = ourAddress(config.number);
    return {
      on: messageWaitKey(config.channel, number),
      channel: config.channel,
      number,
      index: new KeywordIndex(conditions.map((condition, i) => ({ channel: config.channel, number, condition, order: i, target: i }))),
      noMatch: config.branches.length,
      noReply: config.branches.length + 1,
      timeout: config.timeout,
      saveTo: [...(ctx.variables.get(LAST_INBOUND) === 'text' ? [LAST_INBOUND] : []), ...(config.saveTo !== undefined ? [config.saveTo] : [])],
      interruptible: config.keywords !== 'ignore',
    };
  },
  execute: (p, run) => ({ wait: true, on: p.on, ...(p.timeout ? { until: addDuration(run.now, p.timeout, run.timeZone) } : {}) }),
  resume: (p, run, input) => {
    if (input.kind === 'timer') return p.noReply;
    if (input.kind !== 'message.inbound') return undefined;
    for (const name of p.saveTo) run.setVar(name, input.message.text);
    return p.index.match({ ...input.message, channel: p.channel, to: p.number }, run.person)?.target ?? p.noMatch;
  },
  interruptible: (p) => p.interruptible,
});
