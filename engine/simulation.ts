// Simulation: runs a flow on the virtual clock against a people document and a timeline of
// events (people added through the Flow API, custom events, profile changes, inbound
// messages, delivery reports on the last message sent to a person, calls, and how the service
// behind a Call webhook answers), and reports each participant's path and each element's
// metrics. Days of pauses take milliseconds. Nothing leaves the process: every effect (a send,
// a webhook) succeeds at once as simulated, a Call webhook with the answer the timeline gave its
// element last (a 4xx or 5xx fails at once, without retries).
import { Type, type Static } from '@sinclair/typebox';
import { schemaProblems } from './schema-problems.js';
import { VirtualClock } from './clock.js';
import { EffectFailure, JunctionError } from './errors.js';
import { canonicalTimeZone, parseLocalDateTime } from './calendar.js';
import { Engine } from './runtime/engine.js';
import { Registry } from './module.js';
import { CHANNELS, type DoNotContactEntry } from './person.js';
import type { Value } from './values.js';
import { MemoryPeopleStore } from './store/memory-people.js';
import { loadPeople } from './people-file.js';
import { ParticipantStatus, type Effect, type Problem } from './vocabulary.js';
import { sentMessage } from './messaging/references.js';
import { DELIVERY_STATUSES, type OutboundMessage } from './messaging/message.js';
import type { FlowMetrics } from './runtime/metrics.js';
import type { CompiledFlow } from './flow/compile.js';
import { valuesAt } from './effects/http-request.js';

const At = Type.String({ description: 'ISO 8601 date-time; without an offset it is read in the flow time zone' });
export const TimelineEventSchema = Type.Union([
  Type.Object({ at: At, type: Type.Literal('enter'), person: Type.String(), entry: Type.Optional(Type.String({ description: 'the Flow API entry point to enter through, when the flow has several' })), vars: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }, { additionalProperties: false }),
  Type.Object({ at: At, type: Type.Literal('event'), person: Type.String(), name: Type.String(), properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }, { additionalProperties: false }),
  Type.Object({ at: At, type: Type.Literal('profile'), person: Type.String(), changes: Type.Array(Type.Unknown(), { minItems: 1 }) }, { additionalProperties: false }),
  Type.Object(
    {
      at: At,
      type: Type.Literal('message'),
      person: Type.String({ description: 'the sender: a phone number or email address' }),
      channel: Type.Union(CHANNELS.map((c) => Type.Literal(c))),
      to: Type.String({ description: 'our number or address' }),
      text: Type.String(),
      button: Type.Optional(Type.Object({ text: Type.String(), payload: Type.Optional(Type.String()) }, { additionalProperties: false })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      at: At,
      type: Type.Literal('report'),
      person: Type.String({ description: 'the person the last message was sent to' }),
      status: Type.Union(DELIVERY_STATUSES.map((s) => Type.Literal(s))),
    },
    { additionalProperties: false, description: "the provider's delivery report on the last message sent to the person" },
  ),
  Type.Object(
    {
      at: At,
      type: Type.Literal('call'),
      person: Type.String({ description: "the caller's phone number" }),
      to: Type.String({ description: 'our number' }),
      call: Type.String({ minLength: 1, description: "the call's id: its first event starts the call, the next ones answer what it last asked" }),
      digits: Type.Optional(Type.String({ pattern: '^[0-9*#]*$' })),
      speech: Type.Optional(Type.String()),
      silence: Type.Optional(Type.Literal(true)),
      recording: Type.Optional(Type.String({ description: "a recording's URL" })),
      forward: Type.Optional(Type.Union(['completed', 'busy', 'no-answer', 'failed'].map((s) => Type.Literal(s)))),
      hangup: Type.Optional(Type.Literal(true, { description: 'the caller hangs up' })),
    },
    { additionalProperties: false, description: 'a phone call: what the caller does on it (the IVR elements answer)' },
  ),
  Type.Object(
    {
      at: At,
      type: Type.Literal('webhook'),
      element: Type.String({ minLength: 1, description: 'the id of a Call webhook element of the flow' }),
      status: Type.Integer({ minimum: 200, maximum: 599, description: "the answer's HTTP status" }),
      body: Type.Optional(Type.Unknown({ description: 'the JSON body of the answer' })),
      headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: "the answer's headers" })),
    },
    { additionalProperties: false, description: "from this moment, how the service behind a Call webhook element answers its requests (until the element's next webhook event)" },
  ),
]);
export type TimelineEvent = Static<typeof TimelineEventSchema>;

/** The types a timeline event may have, in the schema's order. */
const TIMELINE_TYPES: readonly string[] = TimelineEventSchema.anyOf.map((member) => member.properties.type.const);

export interface PathStep {
  readonly at: number;
  readonly element: string;
  readonly type: string;
  /** Why the element failed here (`CODE: message`), when it did. */
  failure?: string;
}

export interface ParticipantReport {
  readonly id: string;
  readonly personId: string;
  readonly path: PathStep[];
  /** How it ended: the exit element id, a stop reason, or `waiting` (with `waitingAt`/`until`). */
  outcome: string;
  waitingAt?: string;
  until?: number;
}

/** A person who took part, as the simulation left them. */
export interface PersonReport {
  readonly id: string;
  readonly tags: readonly string[];
  /** Standard and custom attributes that have a value. */
  readonly attributes: Readonly<Record<string, Value>>;
  readonly phones: readonly string[];
  readonly emails: readonly string[];
  /** Do-not-contact entries on their phones and emails. */
  readonly doNotContact: readonly DoNotContactEntry[];
}

export interface SimulationReport {
  readonly flowId: string;
  readonly timeZone: string;
  readonly start: number;
  readonly end: number;
  readonly participants: ParticipantReport[];
  /** The people who took part, as they ended. */
  readonly people: readonly PersonReport[];
  readonly metrics: FlowMetrics;
  readonly rejected: Array<{ at: number; person: string; reason: string }>;
}

export interface SimulationInput {
  registry: Registry;
  flow: unknown;
  people?: unknown;
  events?: readonly unknown[];
  /** Epoch ms the simulation starts at; default: the first event, or 2026-01-01T00:00Z. */
  start?: number;
  /** Epoch ms to run until; default: when nothing is left to happen, at most 2 years on. */
  until?: number;
  /** The workspace's time zone, as `junction start` is configured (JUNCTION_TIME_ZONE). Default UTC. */
  timeZone?: string;
}

const DEFAULT_START = Date.UTC(2026, 0, 1);
const HORIZON = 2 * 366 * 24 * 3600 * 1000;

export async function simulate(input: SimulationInput): Promise<SimulationReport> {
  const timeZone = flowTimeZone(input.flow, input.timeZone);
  const events = readTimeline(input.events ?? [], timeZone);
  const start = input.start ?? events[0]?.time ?? DEFAULT_START;
  refuseBeforeStart(start, input.until, events);
  const clock = new VirtualClock(start);
  const people = new MemoryPeopleStore(clock);
  const workspaceZone = canonicalTimeZone(input.timeZone ?? 'UTC') ?? 'UTC';
  loadPeople(input.people ?? {}, people, workspaceZone); // segment rules as `junction start` reads them
  const reports = new Map<string, ParticipantReport>();
  const lastSent = new Map<string, string>();
  const answers = new Map<string, WebhookAnswer>();
  const rejected: SimulationReport['rejected'] = [];
  const answerOf = (effect: Effect): WebhookAnswer | undefined => {
    const origin = effect.origin;
    return origin && answers.get(engine.compiled(origin.flowId, origin.version)?.nodes[origin.node]?.id ?? '');
  };
  const engine: Engine = new Engine({
    clock,
    people,
    registry: simulated(input.registry, lastSent, answerOf),
    timeZone: workspaceZone,
    // Flow API refusals are the timeline's own: apply() reports them, with the person as the timeline names them.
    onEntryRefused: (r) => {
      if (r.entryType !== 'flowApi') rejected.push({ at: r.at, person: r.personId, reason: r.reason });
    },
    onStep: (e) => track(reports, e.participant, e.result.visited.map((i) => e.flow.nodes[i]!), e.at, e.result.failures.map((f) => ({ ...f, element: e.flow.nodes[f.node]!.id }))),
  });
  const saved = engine.save(input.flow);
  engine.launch(saved.id);
  refuseUnknownWebhooks(engine.compiled(saved.id)!, events);
  const hooks = new Map<string, string>(); // per call, the hook its last answer asked to be called back on
  for (const { time, event } of events.filter((e) => input.until === undefined || e.time <= input.until)) {
    await runOut(engine, time, always);
    clock.advanceTo(time);
    if (event.type === 'webhook') answers.set(event.element, event);
    const refused = event.type === 'webhook' ? undefined : await apply(engine, saved.id, event, lastSent, hooks);
    if (refused && event.type !== 'webhook') rejected.push({ at: time, person: event.person, reason: refused });
  }
  const busy = (): boolean =>
    engine.status(saved.id)?.status === 'scheduled' || [...engine.participantsOf(saved.id, saved.version)].some((p) => p.waitUntil > 0);
  await runOut(engine, input.until ?? start + HORIZON, input.until === undefined ? busy : always);
  if (input.until !== undefined) clock.advanceTo(input.until);
  const end = clock.now();
  for (const p of reports.values()) {
    const state = engine.participant(p.id);
    if (state?.status === ParticipantStatus.Waiting) p.until = state.waitUntil || undefined;
  }
  await engine.close();
  const took = [...new Set([...reports.values()].map((p) => p.personId))].flatMap((id) => personReport(engine, id));
  rejected.sort((a, b) => a.at - b.at);
  return { flowId: saved.id, timeZone, start, end, participants: [...reports.values()], people: took, metrics: engine.metrics(saved.id), rejected };
}

function personReport(engine: Engine, id: string): PersonReport[] {
  const person = engine.people.get(id);
  if (!person) return [];
  const attributes = Object.fromEntries(Object.entries({ ...person.standard, ...person.custom }).filter(([, v]) => v !== null && v !== undefined)) as Record<string, Value>;
  const doNotContact = CHANNELS.flatMap((channel) => [...person.phones, ...person.emails].flatMap((contact) => engine.people.blockOf(channel, contact) ?? []));
  return [{ id, tags: person.tags, attributes, phones: person.phones, emails: person.emails, doNotContact }];
}

function track(
  reports: Map<string, ParticipantReport>,
  participant: { id: string; personId: string; status: number; exitReason?: string },
  nodes: ReadonlyArray<{ id: string; def: { type: string } }>,
  at: number,
  failures: ReadonlyArray<{ element: string; code: string; message: string }>,
): void {
  let r = reports.get(participant.id);
  if (!r) reports.set(participant.id, (r = { id: participant.id, personId: participant.personId, path: [], outcome: 'waiting' }));
  const steps = nodes.map((n): PathStep => ({ at, element: n.id, type: n.def.type }));
  for (const f of failures) {
    const step = steps.findLast((s) => s.element === f.element) ?? steps[steps.length - 1];
    if (step) step.failure = `${f.code}: ${f.message}`;
  }
  r.path.push(...steps);
  const last = r.path[r.path.length - 1];
  if (participant.status === ParticipantStatus.Exited) {
    r.outcome = participant.exitReason ?? 'exited';
    delete r.waitingAt;
  } else {
    r.outcome = 'waiting';
    r.waitingAt = last?.element;
  }
}

/** Applies one timeline event through the inbox; returns why it was refused, if it was. */
async function apply(engine: Engine, flowId: string, event: Exclude<TimelineEvent, WebhookAnswer>, lastSent: ReadonlyMap<string, string>, hooks: Map<string, string>): Promise<string | undefined> {
  try {
    switch (event.type) {
      case 'enter': {
        const person = { id: event.person };
        // As the Flow API adds people: through a Flow API entry point only.
        const r = await engine.submit(event.person, { kind: 'flow.enter', flowId, through: 'flowApi', person, entry: event.entry, vars: event.vars });
        return r.entered ? undefined : r.reason;
      }
      case 'event':
        await engine.event(event.person, event.name, event.properties);
        return undefined;
      case 'profile':
        await engine.submit(event.person, { kind: 'person.update', changes: event.changes as never });
        return undefined;
      case 'message': {
        const { person: from, channel, to, text, button } = event;
        const message = { channel, provider: 'simulation', from, to, text, media: [], ...(button ? { button } : {}), providerMessageId: `sim-${engine.clock.now()}-${from}`, receivedAt: engine.clock.now() };
        // A sender without a profile gets one whose id is the address, so reports read plainly.
        await engine.submit(engine.people.findByContact(from)?.id ?? from, { kind: 'message.inbound', message });
        return undefined;
      }
      case 'report':
        return report(engine, event, lastSent);
      case 'call':
        await call(engine, event, hooks);
        return undefined;
    }
  } catch (err) {
    if (err instanceof JunctionError) return `${err.code}: ${err.message}`;
    throw err;
  }
}

/** A call's webhook as a voice provider sends it: the first starts the call, the next ones answer its last hook. */
async function call(engine: Engine, event: Extract<TimelineEvent, { type: 'call' }>, hooks: Map<string, string>): Promise<void> {
  const hook = hooks.get(event.call);
  const input = event.digits !== undefined || event.speech !== undefined || event.silence ? { input: { noInput: event.silence === true, ...(event.digits ? { digits: event.digits } : {}), ...(event.speech ? { speech: { text: event.speech } } : {}) } } : {};
  const outcome = { ...input, ...(event.recording ? { recording: { url: event.recording } } : {}), ...(event.forward ? { forward: { status: event.forward } } : {}) };
  const callEvent = { callId: event.call, from: event.person, to: event.to, direction: 'inbound', status: event.hangup ? 'completed' : 'in-progress', ...outcome };
  const personKey = engine.people.findByContact(event.person)?.id ?? event.person;
  const receipt = await engine.submit(personKey, { kind: 'call', provider: 'simulation', event: callEvent, ...(hook && !event.hangup ? { hook } : {}), ...(hook || event.hangup ? {} : { first: true }), expireAfterMs: 3600_000 } as never);
  const asked = ((receipt.answer ?? []) as Array<{ hook?: unknown }>).findLast((i) => typeof i.hook === 'string')?.hook;
  if (typeof asked === 'string') hooks.set(event.call, asked);
  else hooks.delete(event.call);
}

/** A delivery report on the last message sent to the person, as a provider's webhook brings it. */
async function report(engine: Engine, event: Extract<TimelineEvent, { type: 'report' }>, lastSent: ReadonlyMap<string, string>): Promise<string | undefined> {
  await engine.idle(); // the sends made so far have their ids
  const id = lastSent.get(event.person);
  if (id === undefined) return 'JCT_NOTHING_SENT: no message was sent to this person yet';
  const at = engine.clock.now();
  await engine.submit(event.person, { kind: 'message.status', report: { provider: 'simulation', providerMessageId: id, status: event.status, providerStatus: event.status, at } });
  return undefined;
}

/** A timeline's answer of a Call webhook element. */
type WebhookAnswer = Extract<TimelineEvent, { type: 'webhook' }>;

/** A webhook event names a Call webhook element of the flow, or the timeline is refused. */
function refuseUnknownWebhooks(flow: CompiledFlow, events: ReadonlyArray<{ event: TimelineEvent }>): void {
  for (const [i, { event }] of events.entries()) {
    if (event.type !== 'webhook' || flow.nodes.some((n) => n.id === event.element && n.def.type === 'callWebhook')) continue;
    throw new JunctionError('JCT_EVENTS_INVALID', `webhook event at ${event.at}: the flow has no Call webhook element "${event.element}"`, { line: i + 1 });
  }
}

/**
 * The registry with every effect handler replaced by one that succeeds at once (a Call webhook
 * answering as the timeline said); `lastSent` gets each person's last message id.
 */
function simulated(registry: Registry, lastSent: Map<string, string>, answerOf: (effect: Effect) => WebhookAnswer | undefined): Registry {
  const kinds = new Set(registry.modules.flatMap((m) => (m.effects ?? []).map((h) => h.kind)));
  let sent = 0;
  const perform = (effect: Effect) => {
    const id = `sim-${++sent}`;
    if (effect.kind === 'message.send') lastSent.set(effect.personId, id);
    const answer = effect.kind === 'http.request' ? answerOf(effect) : undefined;
    return answer ? webhookResult(effect, answer) : simulatedResult(effect, id);
  };
  const effects = [...kinds].map((kind) => ({ kind, perform }));
  return new Registry([...registry.modules.map((m) => ({ ...m, effects: [] })), { name: 'simulation', effects }]);
}

/** A simulated send is accepted as sent (its SMS parts counted); any other effect just succeeds. */
function simulatedResult(effect: Effect, id: string): unknown {
  if (effect.kind === 'message.send') return { ...sentMessage('simulation', effect as unknown as OutboundMessage, id), simulated: true };
  return { simulated: true, providerMessageId: id };
}

/** A Call webhook's request answered as the timeline said: read as the real request reads an answer. */
function webhookResult(effect: Effect, answer: WebhookAnswer): unknown {
  if (answer.status >= 300) throw new EffectFailure('JCT_HTTP_STATUS', `the webhook answered ${answer.status} (simulated)`, false, undefined, answer.status);
  const paths = effect['answerPaths'] as readonly string[] | undefined;
  const names = effect['answerHeaders'] as readonly string[] | undefined;
  const headers = new Map(Object.entries(answer.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return {
    status: answer.status,
    ...(paths ? { values: valuesAt(answer.body, paths) } : {}),
    ...(names ? { headers: names.map((name) => headers.get(name) ?? null) } : {}),
    simulated: true,
  };
}

const always = (): boolean => true;

/** Advances timer by timer up to `limit` while `busy`, letting the sends each timer's steps made be answered before the next. */
async function runOut(engine: Engine, limit: number, busy: () => boolean): Promise<void> {
  const clock = engine.clock as VirtualClock;
  await engine.idle();
  for (let next = clock.nextTimerAt(); next !== undefined && next <= limit && busy(); next = clock.nextTimerAt()) {
    clock.advanceTo(next);
    await engine.idle();
  }
}

/**
 * The problems of one timeline event. An event of no known type is explained by its type, naming
 * every type (the schema alone would compare it with the first type and ask for "enter").
 */
function timelineProblems(event: unknown): Problem[] {
  const isObject = typeof event === 'object' && event !== null && !Array.isArray(event);
  const type: unknown = isObject ? (event as { type?: unknown }).type : undefined;
  if (!isObject || TIMELINE_TYPES.includes(type as string)) return schemaProblems(TimelineEventSchema, event, '$', 'JCT_EVENTS_INVALID');
  const what = type === undefined ? 'an event needs a type' : `unknown event type ${JSON.stringify(type)}`;
  return [{ code: 'JCT_EVENTS_INVALID', path: '$.type', message: `${what}; the types are ${TIMELINE_TYPES.join(', ')}` }];
}

/** The simulation runs forward from its start: an end or an event before it is refused, not squashed onto the start. */
function refuseBeforeStart(start: number, until: number | undefined, events: ReadonlyArray<{ time: number; event: TimelineEvent }>): void {
  const at = (ms: number): string => new Date(ms).toISOString();
  if (until !== undefined && until < start) throw new JunctionError('JCT_USAGE', `--until ${at(until)} is before the start of the simulation, ${at(start)}`);
  const first = events[0];
  if (first !== undefined && first.time < start) {
    throw new JunctionError('JCT_EVENTS_INVALID', `an event at ${first.event.at} comes before --start ${at(start)}: start earlier, or leave --start out to start at the first event`);
  }
}

function readTimeline(raw: readonly unknown[], timeZone: string): Array<{ time: number; event: TimelineEvent }> {
  const out = raw.map((event, i) => {
    const problems = timelineProblems(event);
    if (problems.length > 0) {
      throw new JunctionError('JCT_EVENTS_INVALID', `event ${i + 1}: ${problems[0]!.path}: ${problems[0]!.message}`, { line: i + 1, problems });
    }
    const e = event as TimelineEvent;
    const time = parseLocalDateTime(e.at, timeZone);
    if (time === undefined) throw new JunctionError('JCT_EVENTS_INVALID', `event ${i + 1}: "${e.at}" is not a valid date-time`, { line: i + 1 });
    return { time, event: e };
  });
  return out.sort((a, b) => a.time - b.time);
}

/** The flow's time zone, else the workspace's; UTC when it is an unknown one (the flow's validation reports that). */
function flowTimeZone(flow: unknown, workspaceZone = 'UTC'): string {
  const tz = (flow as { settings?: { timeZone?: unknown } } | null)?.settings?.timeZone ?? workspaceZone;
  return (typeof tz === 'string' && canonicalTimeZone(tz)) || 'UTC';
}

/**
 * A time of the simulation of `flow` (a timeline's, --start, --until): an ISO 8601 date or
 * date-time, read in the flow's time zone unless it has an offset; undefined when it is none.
 */
export function simulationTime(flow: unknown, text: string, workspaceZone?: string): number | undefined {
  return parseLocalDateTime(text, flowTimeZone(flow, workspaceZone));
}
