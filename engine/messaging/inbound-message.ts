// Inbound Message entry point: people enter when they write to a number (or address) on a
// channel and their message meets the condition (see keywords.ts for the priority between
// the flows on one number). Several may stand in one flow. Captures put the sender, the
// number written to, the text, a group of a pattern, or an email's subject into flow variables
// (text variables).
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type CompileContext } from '../element.js';
import { CHANNELS } from '../person.js';
import type { InboundMessage } from './message.js';
import { ConditionSchema, checkCondition } from './condition.js';
import { compilePattern, type KeywordCondition } from './keywords.js';
import { ourAddress } from '../people/contacts.js';

const Capture = Type.Object(
  {
    variable: Type.String({ minLength: 1, description: 'a text flow variable' }),
    from: Type.Union([Type.Literal('sender'), Type.Literal('receiver'), Type.Literal('body'), Type.Literal('subject')], { description: "what to capture (subject: an email's, without its reply prefixes such as Re:, for a reply's \"Re: {{subject}}\")" }),
    pattern: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'body only: keep what this RE2 pattern matches' })),
    group: Type.Optional(Type.Integer({ minimum: 0, maximum: 20, default: 0, description: 'which group of the pattern (0: the whole match)' })),
  },
  { additionalProperties: false },
);

export const MessageChannel = Type.Union(CHANNELS.filter((c) => c !== 'voice').map((c) => Type.Literal(c)));

const Config = Type.Object(
  {
    channel: MessageChannel,
    number: Type.String({ minLength: 1, maxLength: 320, description: 'our number, short code or address people write to' }),
    condition: ConditionSchema,
    captures: Type.Optional(Type.Array(Capture, { maxItems: 20 })),
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

/** The prefixes a reply's subject starts with ("Re: ", "RE[2]: ", the German "AW: ", the Nordic "SV: "), however many. */
const REPLY_PREFIXES = /^\s*(?:(?:re|aw|sv)(?:\[\d+\])?[ \t]*:[ \t]*)+/i;

interface PreparedCapture {
  readonly variable: string;
  readonly read: (message: InboundMessage) => string;
}

export interface InboundMessageEntry {
  readonly channel: string;
  readonly number: string;
  readonly condition: KeywordCondition;
  readonly captures: readonly PreparedCapture[];
}

export default defineElement<Config, InboundMessageEntry>({
  type: 'inboundMessage',
  role: 'entry',
  title: 'Inbound message',
  description: 'People enter when they write to a number on a channel and their message meets the condition.',
  config: Config,
  example: { channel: 'sms', number: '+385800100', condition: { operator: 'matchesText', values: ['START', 'JOIN'] }, captures: [{ variable: 'status', from: 'body' }] },
  branches: () => ['next'],
  triggeredBy: 'message.inbound',
  compile: (config, ctx) => {
    return {
      channel: config.channel,
      number: ourAddress(config.number),
      condition: checkCondition(config.condition, config.channel, ctx, '.condition'),
      captures: (config.captures ?? []).map((c, i) => prepareCapture(c, config.channel, ctx, `.captures[${i}]`)),
    };
  },
});

/** The variables an entry's captures take from a message. */
export function captured(entry: InboundMessageEntry, message: InboundMessage): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const c of entry.captures) vars[c.variable] = c.read(message);
  return vars;
}

function prepareCapture(c: Static<typeof Capture>, channel: string, ctx: CompileContext, at: string): PreparedCapture {
  if (ctx.variables.get(c.variable) !== 'text') ctx.problem('JCT_VARIABLE_UNKNOWN', `"${c.variable}" is not a text flow variable`, `${at}.variable`);
  if (c.pattern !== undefined && c.from !== 'body') ctx.problem('JCT_CAPTURE_INVALID', 'a pattern captures from the body only', `${at}.pattern`);
  if (c.from === 'subject' && channel !== 'email') ctx.problem('JCT_CAPTURE_INVALID', 'only an email has a subject to capture', `${at}.from`);
  if (c.from === 'subject') return { variable: c.variable, read: (m) => (m.subject ?? '').replace(REPLY_PREFIXES, '').trim() };
  if (c.from === 'sender') return { variable: c.variable, read: (m) => m.from };
  if (c.from === 'receiver') return { variable: c.variable, read: (m) => m.to };
  if (c.pattern === undefined) return { variable: c.variable, read: (m) => m.text };
  return { variable: c.variable, read: patternReader(c.pattern, c.group ?? 0, ctx, at) };
}

function patternReader(pattern: string, group: number, ctx: CompileContext, at: string): (m: InboundMessage) => string {
  try {
    const re = compilePattern(pattern);
    return (m) => re.exec(m.text.trim())?.[group] ?? '';
  } catch (err) {
    ctx.problem('JCT_PATTERN_INVALID', `the pattern cannot run on RE2: ${(err as Error).message}`, `${at}.pattern`);
    return () => '';
  }
}
