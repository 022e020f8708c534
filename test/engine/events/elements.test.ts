// Case tables for the events module's elements, People Real-Time Event (`realTimeEvent`) and
// Wait for an event (`waitForEvent`), in the manner of test/elements/*.cases.json: the element
// under test (`subject`) is the entry point leading to a tag, or sits after a Flow API entry
// (and optional elements before it) with automatic exits; each step may advance the clock,
// send events, enter people or tag them, and states what comes out. (The shared element
// harness knows neither the events module nor events, so these run here.) Last, channel
// events narrowed to one send element of the flow, through the messaging module.
import t, { type Test } from 'tap';
import { Engine, type StepEvent } from '../../../engine/runtime/engine.js';
import { VirtualClock } from '../../../engine/clock.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { coreModule } from '../../../engine/elements/index.js';
import { messagingModule } from '../../../engine/messaging/index.js';
import { eventsModule } from '../../../engine/events/index.js';
import { sentMessage, sentRef } from '../../../engine/messaging/references.js';
import type { OutboundMessage } from '../../../engine/messaging/message.js';
import { Registry } from '../../../engine/module.js';
import { JunctionError } from '../../../engine/errors.js';
import { ParticipantStatus, type Receipt } from '../../../engine/vocabulary.js';

interface Expect {
  problems?: Array<{ code: string; path?: string }>;
  /** p1's branch out of the subject; null while waiting there. */
  branch?: string | null;
  waitUntil?: string | null;
  vars?: Record<string, unknown>;
  /** Entry cases: who has entered so far, with how many entries each. */
  entered?: Record<string, number>;
  /** The receipt of the step's last event. */
  delivered?: number;
  error?: string;
}

interface Step {
  advance?: { amount: number; unit: 'minutes' | 'hours' | 'days' };
  advanceTo?: string;
  /** Events in order (person p1 unless said); `ago` puts one in the past. */
  events?: Array<{ name: string; properties?: Record<string, unknown>; person?: string; ago?: { amount: number; unit: 'minutes' | 'hours' | 'days' } }>;
  enter?: string;
  tag?: { person: string; tag: string };
  expect: Expect;
}

interface Case {
  description: string;
  now?: string;
  timeZone?: string;
  variables?: unknown[];
  /** Other flow settings (re-entry, …). */
  settings?: Record<string, unknown>;
  config: unknown;
  vars?: Record<string, unknown>;
  /** Element cases: elements before the subject (the last leads to `subject`). */
  before?: unknown[];
  /** Steps before launch (events recorded while no version is live). */
  beforeLaunch?: Step[];
  /** Element cases: p1 enters at start unless false. */
  enter?: boolean;
  expect: Expect;
  then?: Step[];
}

const MS = { minutes: 60_000, hours: 3_600_000, days: 86_400_000 };
const ms = (d: { amount: number; unit: keyof typeof MS }) => d.amount * MS[d.unit];

class EventCase {
  readonly clock: VirtualClock;
  readonly people: MemoryPeopleStore;
  readonly engine: Engine;
  private readonly steps: StepEvent[] = [];
  private readonly doc: Record<string, unknown>;

  constructor(
    readonly type: 'realTimeEvent' | 'waitForEvent',
    readonly c: Case,
  ) {
    this.clock = new VirtualClock(c.now ?? '2026-01-05T09:00:00Z');
    this.people = new MemoryPeopleStore(this.clock);
    this.people.defineEvent({
      name: 'viewItem',
      properties: [
        { name: 'itemId', type: 'text' },
        { name: 'price', type: 'decimal' },
        { name: 'qty', type: 'whole' },
        { name: 'sizes', type: 'list' },
      ],
    });
    this.people.defineEvent({ name: 'purchase', properties: [{ name: 'orderId', type: 'text' }, { name: 'total', type: 'decimal' }] });
    this.people.defineEvent({ name: 'unsubscribe', properties: [{ name: 'list', type: 'text' }] });
    for (const id of ['p1', 'p2']) this.people.upsert({ id });
    this.engine = new Engine({ clock: this.clock, people: this.people, registry: new Registry([coreModule, eventsModule]), onStep: (e) => this.steps.push(e) });
    const settings = { timeZone: c.timeZone ?? 'UTC', variables: c.variables ?? [], ...c.settings };
    if (type === 'realTimeEvent') {
      this.doc = {
        schemaVersion: 1,
        id: 'case',
        name: c.description,
        entryPoints: [{ id: 'subject', type, config: c.config, branches: { next: 'in' } }],
        elements: [{ id: 'in', type: 'addTag', config: { tags: ['in'] } }],
        settings,
      };
    } else {
      const before = (c.before ?? []) as Array<Record<string, unknown>>;
      this.doc = {
        schemaVersion: 1,
        id: 'case',
        name: c.description,
        entryPoints: [{ id: 'start', type: 'flowApi', config: {}, branches: { next: before[0]?.['id'] ?? 'subject' } }],
        elements: [...before, { id: 'subject', type, config: c.config }],
        settings,
      };
    }
  }

  async start(): Promise<Expect> {
    const problems = this.engine.validate(this.doc);
    if (problems.length > 0) return { problems: problems.map((p) => ({ code: p.code, path: p.path })) };
    for (const s of this.c.beforeLaunch ?? []) await this.apply(s);
    this.engine.save(this.doc);
    this.engine.launch('case');
    if (this.type === 'waitForEvent' && this.c.enter !== false) await this.engine.enter('case', 'p1', { vars: this.c.vars ?? {} });
    await this.engine.idle();
    return this.observe();
  }

  async apply(s: Step): Promise<Expect> {
    let last: Receipt | undefined;
    try {
      if (s.advance) this.clock.advance(ms(s.advance));
      if (s.advanceTo) this.clock.advanceTo(s.advanceTo);
      if (s.enter) await this.engine.enter('case', s.enter, { vars: this.c.vars ?? {} });
      if (s.tag) await this.engine.submit(s.tag.person, { kind: 'person.update', changes: [{ op: 'addTag', tag: s.tag.tag }] });
      for (const e of s.events ?? []) {
        const at = this.clock.now() - (e.ago ? ms(e.ago) : 0);
        last = await this.engine.event(e.person ?? 'p1', e.name, e.properties ?? {}, at);
      }
    } catch (err) {
      await this.engine.idle();
      return { ...this.observe(), error: err instanceof JunctionError ? err.code : String(err) };
    }
    await this.engine.idle();
    return { ...this.observe(), ...(last ? { delivered: last.delivered ?? 0 } : {}) };
  }

  private observe(): Expect {
    const out: Expect = {};
    const entered: Record<string, number> = {};
    for (const e of this.steps) if (e.result.state.steps === 1 && e.result.visited[0] === e.flow.entries[0]) entered[e.participant.personId] = (entered[e.participant.personId] ?? 0) + 1;
    out.entered = entered;
    const mine = this.steps.filter((e) => e.participant.personId === 'p1');
    const last = mine.at(-1);
    if (last) {
      const st = last.participant;
      out.vars = st.vars;
      const waiting = st.status === ParticipantStatus.Waiting;
      out.branch = waiting && last.flow.nodes[st.node]?.id === 'subject' ? null : branchOf(st.exitReason);
      out.waitUntil = waiting && st.waitUntil > 0 ? new Date(st.waitUntil).toISOString() : null;
    }
    return out;
  }
}

function branchOf(reason: string | undefined): string | undefined {
  const m = reason ? /^subject\.(.+)\.exit$/.exec(reason) : null;
  return m ? m[1] : reason;
}

function check(t: Test, got: Expect, want: Expect, at: string): void {
  if (want.problems) {
    t.equal(got.problems?.length, want.problems.length, `${at}: problems ${JSON.stringify(got.problems)}`);
    t.match(got.problems, want.problems, `${at}: problems`);
  } else t.equal(got.problems, undefined, `${at}: no problems`);
  t.equal(got.error, want.error, `${at}: error`);
  if ('branch' in want) t.equal(got.branch, want.branch, `${at}: branch`);
  if ('waitUntil' in want) t.equal(got.waitUntil, want.waitUntil, `${at}: waitUntil`);
  if (want.vars) t.same(got.vars, want.vars, `${at}: vars`);
  if (want.entered) t.same(got.entered, want.entered, `${at}: entered`);
  if ('delivered' in want) t.equal(got.delivered, want.delivered, `${at}: delivered`);
}

function runCases(type: 'realTimeEvent' | 'waitForEvent', cases: Case[]): void {
  t.test(type, async (t) => {
    for (const c of cases) {
      t.test(c.description, async (t) => {
        const run = new EventCase(type, c);
        t.teardown(() => run.engine.close());
        check(t, await run.start(), c.expect, 'start');
        for (const [i, s] of (c.then ?? []).entries()) check(t, await run.apply(s), s.expect, `then[${i}]`);
      });
    }
  });
}

const DAY2 = { amount: 2, unit: 'days' } as const;
const purchase = { event: 'purchase', happened: true };

runCases('waitForEvent', [
  {
    description: 'the event within the wait takes happened',
    config: { conditions: [purchase], waitFor: DAY2 },
    expect: { branch: null, waitUntil: '2026-01-07T09:00:00.000Z' },
    then: [
      { advance: { amount: 1, unit: 'days' }, events: [{ name: 'purchase', person: 'p2' }], expect: { branch: null, delivered: 0 } },
      { events: [{ name: 'viewItem' }], expect: { branch: null, delivered: 0 } },
      { events: [{ name: 'purchase' }], expect: { branch: 'happened', delivered: 1 } },
      { events: [{ name: 'purchase' }], expect: { branch: 'happened', delivered: 0 } },
    ],
  },
  {
    description: 'no event: notHappened exactly when the wait ends',
    config: { conditions: [purchase], waitFor: { amount: 90, unit: 'minutes' } },
    expect: { branch: null, waitUntil: '2026-01-05T10:30:00.000Z' },
    then: [
      { advanceTo: '2026-01-05T10:29:59Z', expect: { branch: null } },
      { advanceTo: '2026-01-05T10:30:00Z', expect: { branch: 'notHappened' } },
    ],
  },
  {
    description: 'waitFor in days keeps the local time across the spring change',
    now: '2026-03-27T10:00:00Z',
    timeZone: 'Europe/Zagreb',
    config: { conditions: [purchase], waitFor: { amount: 3, unit: 'days' } },
    expect: { waitUntil: '2026-03-30T09:00:00.000Z' },
  },
  {
    description: 'without waitFor it waits until the event, however long',
    config: { conditions: [purchase] },
    expect: { branch: null, waitUntil: null },
    then: [
      { advance: { amount: 300, unit: 'days' }, expect: { branch: null } },
      { events: [{ name: 'purchase' }], expect: { branch: 'happened' } },
    ],
  },
  {
    description: 'an event before arriving does not count',
    config: { conditions: [purchase], waitFor: DAY2 },
    enter: false,
    expect: {},
    then: [
      { events: [{ name: 'purchase' }], expect: {} },
      { advance: { amount: 1, unit: 'minutes' }, enter: 'p1', expect: { branch: null } },
      { advance: DAY2, expect: { branch: 'notHappened' } },
    ],
  },
  {
    description: 'includeEventsFromEntry: an event since entering (before arriving) decides at once',
    config: { conditions: [purchase], waitFor: DAY2, includeEventsFromEntry: true },
    before: [{ id: 'pause', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'hours' } }, branches: { next: 'subject' } }],
    expect: { waitUntil: '2026-01-05T10:00:00.000Z' },
    then: [
      { advance: { amount: 10, unit: 'minutes' }, events: [{ name: 'purchase' }], expect: { waitUntil: '2026-01-05T10:00:00.000Z', delivered: 0 } },
      { advance: { amount: 50, unit: 'minutes' }, expect: { branch: 'happened' } },
    ],
  },
  {
    description: 'includeEventsFromEntry: an event before entering does not count',
    config: { conditions: [purchase], waitFor: DAY2, includeEventsFromEntry: true },
    enter: false,
    expect: {},
    then: [
      { events: [{ name: 'purchase', ago: { amount: 1, unit: 'minutes' } }], expect: {} },
      { enter: 'p1', expect: { branch: null } },
      { advance: DAY2, expect: { branch: 'notHappened' } },
    ],
  },
  {
    description: 'times atLeast 2 with a property filter',
    config: { conditions: [{ event: 'viewItem', happened: true, times: { operator: 'atLeast', count: 2 }, where: [{ property: 'price', operator: 'greaterThan', value: 10 }] }], waitFor: DAY2 },
    expect: { branch: null },
    then: [
      { events: [{ name: 'viewItem', properties: { price: 20 } }], expect: { branch: null } },
      { events: [{ name: 'viewItem', properties: { price: 5 } }, { name: 'viewItem' }], expect: { branch: null } },
      { events: [{ name: 'viewItem', properties: { price: '10.5' } }], expect: { branch: 'happened' } },
    ],
  },
  {
    description: 'times exactly 2 within 1 hour: the count must be right when an event comes',
    config: { conditions: [{ event: 'viewItem', happened: true, times: { operator: 'exactly', count: 2 }, within: { amount: 1, unit: 'hours' } }], waitFor: DAY2 },
    expect: { branch: null },
    then: [
      { events: [{ name: 'viewItem' }], expect: { branch: null } },
      { advance: { amount: 61, unit: 'minutes' }, events: [{ name: 'viewItem' }], expect: { branch: null } },
      { advance: { amount: 30, unit: 'minutes' }, events: [{ name: 'viewItem' }], expect: { branch: 'happened' } },
    ],
  },
  {
    description: 'times atMost 1 at the end of the wait: once is fine, twice is not',
    config: { conditions: [{ event: 'viewItem', happened: true, times: { operator: 'atMost', count: 1 } }, { event: 'unsubscribe', happened: false }], waitFor: DAY2 },
    expect: { branch: null },
    then: [
      { events: [{ name: 'viewItem' }], expect: { branch: null } },
      { advance: DAY2, expect: { branch: 'happened' } },
    ],
  },
  {
    description: 'times atMost 1 broken by a second event: notHappened when the wait ends',
    config: { conditions: [{ event: 'viewItem', happened: true, times: { operator: 'atMost', count: 1 } }, { event: 'unsubscribe', happened: false }], waitFor: DAY2 },
    expect: { branch: null },
    then: [
      { events: [{ name: 'viewItem' }, { name: 'viewItem' }], expect: { branch: null } },
      { advance: DAY2, expect: { branch: 'notHappened' } },
    ],
  },
  {
    description: 'a not-happened condition broken during the wait: notHappened at once',
    config: { conditions: [purchase, { event: 'unsubscribe', happened: false }], waitFor: DAY2 },
    expect: { branch: null },
    then: [
      { events: [{ name: 'purchase' }], expect: { branch: null, delivered: 0 } },
      { events: [{ name: 'unsubscribe', properties: { list: 'x' } }], expect: { branch: 'notHappened', delivered: 1 } },
    ],
  },
  {
    description: 'a not-happened condition kept: happened when the wait ends',
    config: { conditions: [purchase, { event: 'unsubscribe', happened: false }], waitFor: DAY2 },
    expect: { branch: null },
    then: [
      { events: [{ name: 'purchase' }], expect: { branch: null } },
      { advance: DAY2, expect: { branch: 'happened' } },
    ],
  },
  {
    description: 'two events: on when both happened, in either order',
    config: { conditions: [purchase, { event: 'viewItem', happened: true }] },
    expect: { branch: null },
    then: [
      { events: [{ name: 'viewItem' }], expect: { branch: null, delivered: 0 } },
      { events: [{ name: 'purchase' }], expect: { branch: 'happened', delivered: 1 } },
    ],
  },
  {
    description: 'variables mapped from the latest matching events: a list, a whole into a decimal, a decimal into text',
    variables: [
      { name: 'sizes', type: 'list' },
      { name: 'amount', type: 'decimal' },
      { name: 'price', type: 'text' },
      { name: 'order', type: 'text', default: 'none' },
    ],
    config: {
      conditions: [{ event: 'viewItem', happened: true, where: [{ property: 'itemId', operator: 'is', value: 'A' }] }],
      variables: [
        { event: 'viewItem', property: 'sizes', variable: 'sizes' },
        { event: 'viewItem', property: 'qty', variable: 'amount' },
        { event: 'viewItem', property: 'price', variable: 'price' },
      ],
    },
    expect: { branch: null, vars: { order: 'none', sizes: null, amount: null, price: null } },
    then: [
      {
        events: [
          { name: 'viewItem', properties: { itemId: 'B', sizes: ['XL'], qty: 9, price: 1 } },
          { name: 'viewItem', properties: { itemId: 'A', sizes: ['S', 'M'], qty: 2, price: 12.5 } },
        ],
        expect: { branch: 'happened', vars: { order: 'none', sizes: ['S', 'M'], amount: 2, price: '12.5' } }, // the latest matching (A), not the latest (B)
      },
    ],
  },
  {
    description: 'a mapped property the event did not carry leaves the variable as it was',
    variables: [{ name: 'amount', type: 'decimal', default: 1 }],
    config: { conditions: [{ event: 'viewItem', happened: true }], variables: [{ event: 'viewItem', property: 'qty', variable: 'amount' }] },
    expect: { branch: null },
    then: [{ events: [{ name: 'viewItem' }], expect: { branch: 'happened', vars: { amount: 1 } } }],
  },
  {
    description: 'a people event: tag added during the wait',
    config: { conditions: [{ event: 'person.tagAdded', happened: true, where: [{ property: 'tag', operator: 'is', value: 'vip' }] }], waitFor: DAY2 },
    expect: { branch: null },
    then: [
      { tag: { person: 'p1', tag: 'regular' }, expect: { branch: null } },
      { tag: { person: 'p1', tag: 'vip' }, expect: { branch: 'happened' } },
    ],
  },
  {
    description: 'a bad config is found at validation',
    config: { conditions: [{ event: 'unsubscribe', happened: false }] },
    expect: { problems: [{ code: 'JCT_NOT_HAPPENED_ALONE', path: '$.elements[0].config.conditions' }] },
  },
  {
    description: 'a wait longer than 100 years is found at validation: its due time would not be a date',
    config: { conditions: [{ event: 'person.tagAdded', happened: true }], waitFor: { amount: 1e308, unit: 'seconds' } },
    expect: { problems: [{ code: 'JCT_DURATION_TOO_LONG', path: '$.elements[0].config.waitFor.amount' }] },
  },
]);

runCases('realTimeEvent', [
  {
    description: 'the event starts the flow, for who performed it',
    config: { conditions: [purchase] },
    expect: { entered: {} },
    then: [
      { events: [{ name: 'viewItem' }], expect: { entered: {} } },
      { events: [{ name: 'purchase', person: 'p2' }], expect: { entered: { p2: 1 } } },
      { events: [{ name: 'purchase' }, { name: 'purchase' }], expect: { entered: { p1: 2, p2: 1 } } },
    ],
  },
  {
    description: 're-entry off: once only',
    settings: { reentry: { enabled: false } },
    config: { conditions: [purchase] },
    expect: { entered: {} },
    then: [{ events: [{ name: 'purchase' }, { name: 'purchase' }], expect: { entered: { p1: 1 } } }],
  },
  {
    description: 'the starting event must pass the where filter of its condition',
    config: { conditions: [{ event: 'purchase', happened: true, where: [{ property: 'total', operator: 'greaterOrEqual', value: 100 }] }] },
    expect: { entered: {} },
    then: [
      { events: [{ name: 'purchase', properties: { total: 99.99 } }], expect: { entered: {} } },
      { events: [{ name: 'purchase', properties: { total: 100 } }], expect: { entered: { p1: 1 } } },
    ],
  },
  {
    description: 'a condition that holds but is not "happened" for this event does not start it',
    config: { conditions: [purchase, { event: 'viewItem', happened: true }] },
    expect: { entered: {} },
    then: [
      { events: [{ name: 'viewItem' }], expect: { entered: {} } },
      { events: [{ name: 'purchase' }], expect: { entered: { p1: 1 } } },
      { events: [{ name: 'viewItem' }], expect: { entered: { p1: 2 } } },
    ],
  },
  {
    description: 'events before launch do not count',
    config: { conditions: [{ event: 'viewItem', happened: true, times: { operator: 'atLeast', count: 2 } }] },
    beforeLaunch: [
      { events: [{ name: 'viewItem' }], expect: {} },
      { advance: { amount: 1, unit: 'minutes' }, expect: {} },
    ],
    expect: { entered: {} },
    then: [
      { advance: { amount: 1, unit: 'minutes' }, events: [{ name: 'viewItem' }], expect: { entered: {} } },
      { events: [{ name: 'viewItem' }], expect: { entered: { p1: 1 } } },
    ],
  },
  {
    description: 'includeEventsBeforeLaunch counts them',
    config: { conditions: [{ event: 'viewItem', happened: true, times: { operator: 'atLeast', count: 2 } }], includeEventsBeforeLaunch: true },
    beforeLaunch: [{ events: [{ name: 'viewItem' }], expect: {} }],
    expect: { entered: {} },
    then: [{ advance: { amount: 1, unit: 'minutes' }, events: [{ name: 'viewItem' }], expect: { entered: { p1: 1 } } }],
  },
  {
    description: 'a not-happened condition beside it keeps people out',
    config: { conditions: [purchase, { event: 'unsubscribe', happened: false, within: { amount: 7, unit: 'days' } }] },
    expect: { entered: {} },
    then: [
      { events: [{ name: 'unsubscribe' }, { name: 'purchase' }], expect: { entered: {} } },
      { events: [{ name: 'purchase', person: 'p2' }], expect: { entered: { p2: 1 } } },
      { advance: { amount: 8, unit: 'days' }, events: [{ name: 'purchase' }], expect: { entered: { p1: 1, p2: 1 } } },
    ],
  },
  {
    description: 'variables mapped on the way in',
    variables: [{ name: 'order', type: 'text' }, { name: 'total', type: 'decimal' }],
    config: {
      conditions: [purchase],
      variables: [
        { event: 'purchase', property: 'orderId', variable: 'order' },
        { event: 'purchase', property: 'total', variable: 'total' },
      ],
    },
    expect: { entered: {} },
    then: [{ events: [{ name: 'purchase', properties: { orderId: 'o-7', total: '42.5' } }], expect: { entered: { p1: 1 }, vars: { order: 'o-7', total: 42.5 } } }],
  },
  {
    description: 'a refused event starts nothing',
    config: { conditions: [purchase] },
    expect: { entered: {} },
    then: [{ events: [{ name: 'purchase', properties: { total: 'lots' } }], expect: { entered: {}, error: 'JCT_EVENT_PROPERTY' } }],
  },
  {
    description: 'a bad config is found at validation',
    config: { conditions: [{ event: 'purchase', happened: true, where: [{ property: 'colour', operator: 'is', value: 'red' }] }] },
    expect: { problems: [{ code: 'JCT_EVENT_PROPERTY_UNKNOWN', path: '$.entryPoints[0].config.conditions[0].where[0].property' }] },
  },
]);

t.test('channel events narrowed to one send element of the flow', async (t) => {
  const clock = new VirtualClock('2026-01-05T09:00:00Z');
  const people = new MemoryPeopleStore(clock);
  people.upsert({ id: 'p1', phones: ['+385911234567'] });
  let n = 0;
  const provider = {
    name: 'case',
    effects: [{ kind: 'message.send', perform: async (effect: { [k: string]: unknown }) => sentMessage('case', effect as unknown as OutboundMessage, `SM${++n}`) }],
  };
  const registry = new Registry([coreModule, { ...messagingModule, effects: [] }, eventsModule, provider]);
  const steps: StepEvent[] = [];
  const engine = new Engine({ clock, people, registry, onStep: (e) => steps.push(e) });
  t.teardown(() => engine.close());
  const sms = (id: string, next: string) => ({ id, type: 'sendSms', config: { from: '+385800100', text: id }, branches: { next } });
  engine.save({
    schemaVersion: 1,
    id: 'f',
    name: 'f',
    entryPoints: [{ id: 'start', type: 'flowApi', config: {}, branches: { next: 'first' } }],
    elements: [
      sms('first', 'second'),
      sms('second', 'w'),
      {
        id: 'w',
        type: 'waitForEvent',
        config: { conditions: [{ event: 'message.delivered', happened: true, element: 'first' }], waitFor: DAY2 },
        branches: { happened: 'yes', notHappened: 'no' },
      },
      { id: 'yes', type: 'addTag', config: { tags: ['delivered'] } },
      { id: 'no', type: 'addTag', config: { tags: ['not-delivered'] } },
    ],
  });
  engine.launch('f');
  await engine.enter('f', 'p1');
  await engine.idle();
  t.equal(n, 2, 'both messages sent');
  const at = steps.at(-1)!.participant;
  t.equal(steps.at(-1)!.flow.nodes[at.node]!.id, 'w', 'waiting for the delivery');
  const report = async (id: string, status: 'delivered' | 'failed') => {
    const personId = engine.reference(sentRef('case', id))!.personId;
    return engine.submit(personId, { kind: 'message.status', report: { provider: 'case', providerMessageId: id, status, providerStatus: status, at: clock.now() } });
  };
  await report('SM2', 'delivered');
  await engine.idle();
  t.same(people.get('p1')!.tags, [], 'the second message\'s delivery is not about "first"');
  await report('SM1', 'delivered');
  await engine.idle();
  t.same(people.get('p1')!.tags, ['delivered'], 'the first message\'s delivery');
});
