// Runs one element case (test/elements/<type>.cases.json) on a real engine with a virtual
// clock: the element under test sits between a Flow API entry and automatic exits (or is
// itself the entry point), and the case states what comes out: problems, the branch taken,
// wait times, variables, the person after, the profile and do-not-contact changes its steps
// made, outbox entries (and how the effect handlers were asked to perform them), failures,
// who entered. Effects never leave the test: the effect handlers are replaced by ones that
// answer as the case says. Steps may advance the clock, change people, enter people, or
// deliver an inbound message.
import { Engine, type StepEvent } from '../../engine/runtime/engine.js';
import { VirtualClock } from '../../engine/clock.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';
import { loadPeople } from '../../engine/people-file.js';
import { coreModule } from '../../engine/elements/index.js';
import { messagingModule } from '../../engine/messaging/index.js';
import type { DeliveryStatus, InboundMessage, OutboundMessage } from '../../engine/messaging/message.js';
import { sentMessage, sentRef } from '../../engine/messaging/references.js';
import { Registry, type EffectHandler } from '../../engine/module.js';
import { EffectFailure, JunctionError } from '../../engine/errors.js';
import { ParticipantStatus, type DoNotContactChange, type Effect, type PersonInput, type ProfileChange } from '../../engine/vocabulary.js';

export interface Expectation {
  problems?: Array<{ code: string; path?: string }>;
  /** Branch taken out of the element, or null while the participant still waits there. */
  branch?: string | null;
  exited?: boolean;
  waitUntil?: string;
  vars?: Record<string, unknown>;
  person?: Record<string, unknown>;
  /** Profile changes the subject person's steps made, in order (StepResult.profile). */
  profile?: Array<Record<string, unknown>>;
  /** Do-not-contact changes the subject person's steps made, in order (StepResult.doNotContact). */
  doNotContact?: Array<Record<string, unknown>>;
  /** Outbox entries the subject person's steps emitted. */
  effects?: Array<Record<string, unknown>>;
  /** Every effect the handlers were asked to perform so far, attempts included, in order. */
  performed?: Array<Record<string, unknown>>;
  /** Outbox entries that failed for good so far, by kind. */
  effectFailures?: Record<string, number>;
  failures?: string[];
  /** Entry points: ids of the people who have entered so far, in any order. */
  entered?: string[];
  /** Ids of the people with a participant inside the flow now. */
  inside?: string[];
  /** For a step that should be refused: the error code. */
  error?: string;
  blocked?: Array<{ channel: string; contact: string; sender?: string; blocked: boolean }>;
  /** The subject element's named counters in the flow metrics (e.g. `sms:sent`). */
  counters?: Record<string, number>;
}

export interface Step {
  advanceTo?: string;
  change?: { personId: string; changes: ProfileChange[] };
  upsert?: PersonInput;
  reconfigure?: unknown;
  enter?: { personId: string; vars?: Record<string, unknown> };
  /** An inbound message from a phone or email (to `+385800100` on sms unless said otherwise). */
  message?: Partial<InboundMessage> & { from: string; text: string };
  /** A delivery report from provider `case` on a message it accepted, routed as a webhook's is (by the message's reference). */
  report?: { providerMessageId: string; status: DeliveryStatus };
  expect: Expectation;
}

/** How an effect handler answers one attempt: a result, or a failure (retryable or not). */
export type EffectAnswer = { result: unknown } | { error: { code: string; message?: string; retryable?: boolean; status?: number } };

export interface ElementCase {
  description: string;
  now?: string;
  timeZone?: string;
  variables?: unknown[];
  people?: Record<string, unknown>;
  person?: PersonInput;
  vars?: Record<string, unknown>;
  config: unknown;
  /** Other flow settings (re-entry, schedule, …). */
  settings?: Record<string, unknown>;
  /** Where the case's element or entry point leads, and the elements there. */
  branches?: Record<string, string>;
  elements?: unknown[];
  /**
   * How the effect handlers answer, attempt after attempt (the last answer repeats). Without
   * answers, every effect fails for good with JCT_CASE_NO_ANSWER.
   */
  answers?: EffectAnswer[];
  expect: Expectation;
  then?: Step[];
}

export interface Observed {
  problems: Array<{ code: string; path: string }>;
  branch?: string | null;
  exited?: boolean;
  waitUntil?: string;
  vars?: Record<string, unknown>;
  person?: unknown;
  profile: ProfileChange[];
  doNotContact: DoNotContactChange[];
  effects: Effect[];
  performed: Effect[];
  effectFailures: Record<string, number>;
  failures: string[];
  entered: string[];
  inside: string[];
  error?: string;
  blocked?: Expectation['blocked'];
  counters: Record<string, number>;
}

const SUBJECT = 'subject';

/** The modules whose elements need a case file each. */
const MODULES = [coreModule, messagingModule];
export const CASE_REGISTRY = new Registry(MODULES);
/** The effect kinds those elements emit. */
const EFFECT_KINDS = ['http.request', 'message.send'];

export class CaseRun {
  readonly clock: VirtualClock;
  readonly people: MemoryPeopleStore;
  readonly engine: Engine;
  /** Effects the handlers were asked to perform, attempts included. */
  readonly performed: Effect[] = [];
  private readonly events: StepEvent[] = [];
  private readonly entry: boolean;
  private readonly flowDoc: Record<string, unknown>;

  constructor(
    readonly type: string,
    readonly c: ElementCase,
  ) {
    this.clock = new VirtualClock(c.now ?? '2026-01-05T09:00:00Z');
    this.people = new MemoryPeopleStore(this.clock);
    loadPeople(c.people ?? {}, this.people, c.timeZone ?? 'UTC');
    if (c.person) this.people.upsert({ id: 'p1', ...c.person });
    this.engine = new Engine({ clock: this.clock, people: this.people, registry: this.registry(), onStep: (e) => this.events.push(e) });
    this.entry = CASE_REGISTRY.get(type)?.role === 'entry';
    this.flowDoc = this.buildFlow();
  }

  /** The core module with its effect handlers replaced by ones answering as the case says. */
  private registry(): Registry {
    const answers = this.c.answers ?? [];
    const answer = (effect: Effect): unknown => {
      this.performed.push(effect);
      const a = answers[Math.min(this.performed.length, answers.length) - 1];
      if (!a) throw new EffectFailure('JCT_CASE_NO_ANSWER', 'the case gives no answer for this effect', false);
      if ('error' in a) throw new EffectFailure(a.error.code, a.error.message ?? a.error.code, a.error.retryable ?? false, undefined, a.error.status);
      return sentAs(effect, a.result);
    };
    const handlers: EffectHandler[] = EFFECT_KINDS.map((kind) => ({ kind, perform: async (effect) => answer(effect) }));
    return new Registry([...MODULES.map((m) => ({ ...m, effects: [] })), { name: 'case', effects: handlers }]);
  }

  private buildFlow(): Record<string, unknown> {
    const settings = { timeZone: this.c.timeZone ?? 'UTC', variables: this.c.variables ?? [], ...this.c.settings };
    const subject = { id: SUBJECT, type: this.type, config: this.c.config, ...(this.c.branches ? { branches: this.c.branches } : {}) };
    return this.entry
      ? { schemaVersion: 1, id: 'case', name: this.c.description, entryPoints: [subject], elements: this.c.elements ?? [], settings }
      : {
          schemaVersion: 1,
          id: 'case',
          name: this.c.description,
          entryPoints: [{ id: 'start', type: 'flowApi', config: {}, branches: { next: SUBJECT } }],
          elements: [subject, ...(this.c.elements ?? [])],
          settings,
        };
  }

  /** Validates, launches, and (for elements) enters the case's person; then lets effects run. */
  async start(): Promise<Observed> {
    const problems = this.engine.validate(this.flowDoc);
    if (problems.length > 0) return this.observe({ problems: problems.map((p) => ({ code: p.code, path: p.path })) });
    this.engine.save(this.flowDoc);
    try {
      this.engine.launch('case');
      if (!this.entry && this.c.person) await this.engine.enter('case', 'p1', { vars: this.c.vars ?? {} });
    } catch (err) {
      await this.engine.idle();
      return this.observe({ error: codeOf(err) });
    }
    await this.engine.idle();
    return this.observe({});
  }

  async apply(s: Step): Promise<Observed> {
    try {
      if (s.advanceTo) this.clock.advanceTo(s.advanceTo);
      if (s.change) this.people.update(s.change.personId, s.change.changes);
      if (s.upsert) this.people.upsert(s.upsert);
      if (s.reconfigure !== undefined) this.engine.reconfigureEntry('case', SUBJECT, s.reconfigure);
      if (s.enter) await this.engine.enter('case', s.enter.personId, { vars: s.enter.vars ?? {} });
      if (s.message) await this.receive(s.message);
      if (s.report) await this.report(s.report);
    } catch (err) {
      await this.engine.idle();
      return this.observe({ error: codeOf(err) });
    }
    await this.engine.idle();
    return this.observe({});
  }

  close(): Promise<void> {
    return this.engine.close();
  }

  /** Delivers an inbound message from its sender (a known person, or a new one named by the address). */
  private async receive(m: NonNullable<Step['message']>): Promise<void> {
    const message: InboundMessage = { channel: 'sms', provider: 'case', to: '+385800100', media: [], providerMessageId: `case-${this.clock.now()}`, receivedAt: this.clock.now(), ...m };
    await this.engine.submit(this.people.findByContact(m.from)?.id ?? m.from, { kind: 'message.inbound', message });
  }

  /** A delivery report goes to the person the message's reference names, as a provider webhook's does. */
  private async report(r: NonNullable<Step['report']>): Promise<void> {
    const personId = this.engine.reference(sentRef('case', r.providerMessageId))?.personId;
    if (personId === undefined) throw new JunctionError('JCT_CASE_UNKNOWN_MESSAGE', `no message ${r.providerMessageId} was sent`);
    const report = { provider: 'case', providerMessageId: r.providerMessageId, status: r.status, providerStatus: r.status, at: this.clock.now() };
    await this.engine.submit(personId, { kind: 'message.status', report });
  }

  private observe(extra: Partial<Observed>): Observed {
    const mine = this.events.filter((e) => e.participant.personId === 'p1');
    const last = mine[mine.length - 1];
    const entered = [...new Set(this.events.filter((e) => e.result.visited[0] === e.flow.entries[0] && e.result.state.steps === 1).map((e) => e.participant.personId))];
    const out: Observed = {
      problems: [],
      profile: mine.flatMap((e) => e.result.profile),
      doNotContact: mine.flatMap((e) => e.result.doNotContact),
      effects: mine.flatMap((e) => e.result.effects),
      performed: [...this.performed],
      effectFailures: Object.fromEntries(this.engine.effectFailures),
      failures: mine.flatMap((e) => e.result.failures.map((f) => f.code)),
      entered,
      inside: this.insideNow(),
      person: this.people.get('p1'),
      counters: this.subjectCounters(),
      ...extra,
    };
    if (last) {
      const st = last.participant;
      out.vars = st.vars;
      out.exited = st.status === ParticipantStatus.Exited;
      out.branch = st.status === ParticipantStatus.Waiting ? null : branchOf(st.exitReason);
      if (st.status === ParticipantStatus.Waiting && st.waitUntil > 0) out.waitUntil = new Date(st.waitUntil).toISOString();
    }
    return out;
  }

  private subjectCounters(): Record<string, number> {
    if (!this.engine.compiled('case')) return {};
    return this.engine.metrics('case').elements.find((e) => e.id === SUBJECT)?.counters ?? {};
  }

  private insideNow(): string[] {
    const version = this.engine.compiled('case')?.version;
    if (version === undefined) return [];
    return [...new Set([...this.engine.participantsOf('case', version)].map((p) => p.personId))];
  }

  blocked(q: NonNullable<Expectation['blocked']>): NonNullable<Expectation['blocked']> {
    return q.map((b) => ({ ...b, blocked: this.people.isBlocked(b.channel as never, b.contact, b.sender) }));
  }
}

/** A send the case's provider accepted carries what a provider module's result does (parts, references). */
function sentAs(effect: Effect, result: unknown): unknown {
  const id = (result as { providerMessageId?: unknown } | null)?.providerMessageId;
  if (effect.kind !== 'message.send' || typeof id !== 'string') return result;
  return { ...sentMessage('case', effect as unknown as OutboundMessage, id), ...(result as object) };
}

function codeOf(err: unknown): string {
  return err instanceof JunctionError ? err.code : String(err);
}

/** `subject.<branch>.exit` → `<branch>`; the exit element itself → `exit`. */
function branchOf(reason: string | undefined): string | undefined {
  if (reason === SUBJECT) return 'exit';
  const m = reason ? /^subject\.(.+)\.exit$/.exec(reason) : null;
  return m ? m[1] : reason;
}
