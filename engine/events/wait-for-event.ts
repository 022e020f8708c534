// Wait for an event: holds the participant until the person's events complete the conditions
// (branch "happened") or the wait ends without them ("notHappened"). Only events recorded after
// the participant arrived count, unless includeEventsFromEntry counts those since it entered
// the flow (conditions already met then go on at once). With only "happened" conditions the
// participant goes on as soon as they hold. A "not happened" condition is decided when the wait
// ends, or at once ("notHappened") when its event happens during the wait. Without `waitFor`
// the wait lasts until the conditions hold (then "not happened" conditions are not allowed: they
// could never be decided). Once the wait has ended, events are counted as they stood at its end:
// a step that runs late (the flow was paused, the engine busy) does not count an event that came
// after the deadline, and an event recorded at the deadline or later does not count. Properties of the latest matching events may be mapped into
// variables; a condition may name a send element of this flow for channel events.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type RunContext } from '../element.js';
import { DurationSchema } from '../flow-schema.js';
import { addDuration, checkDurationLength } from '../calendar.js';
import type { CompiledEventCondition, EventBounds } from '../conditions/events.js';
import type { ConditionScope } from '../conditions/define.js';
import { WAIT_KEY_SEPARATOR, type Input, type Outcome } from '../vocabulary.js';
import { allHold, compileConditions, compileMappings, conditionScope, EventConditionsSchema, setMapped, VariableMappingsSchema, type CompiledMapping } from './event-conditions.js';

const Config = Type.Object(
  {
    conditions: EventConditionsSchema,
    waitFor: Type.Optional({ ...DurationSchema, description: 'How long to wait; none: until the conditions hold' }),
    includeEventsFromEntry: Type.Optional(Type.Boolean({ description: 'Count events since the participant entered the flow, not only since it arrived here' })),
    variables: Type.Optional(VariableMappingsSchema),
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

interface Prepared {
  readonly conditions: readonly CompiledEventCondition[];
  readonly mappings: readonly CompiledMapping[];
  readonly waitFor: Config['waitFor'];
  readonly fromEntry: boolean;
  /** The wait keys of every event the conditions name. */
  readonly on: string;
  readonly decidesEarly: boolean;
}

const HAPPENED = 0;
const NOT_HAPPENED = 1;

export default defineElement<Config, Prepared>({
  type: 'waitForEvent',
  role: 'element',
  title: 'Wait for an event',
  description: 'Waits until the person\'s events complete the conditions ("happened") or the wait ends without them ("notHappened").',
  config: Config,
  example: { conditions: [{ event: 'message.clicked', happened: true }], waitFor: { amount: 2, unit: 'days' } },
  branches: () => ['happened', 'notHappened'],
  branchesNeverTaken: [{ branches: ['notHappened'], config: Type.Not(Type.Object({ waitFor: Type.Unknown() })), when: 'without "waitFor" (it waits until the conditions hold)', fix: 'give the wait a "waitFor" duration' }],
  waits: true,
  compile: (config, ctx) => {
    const compiled = compileConditions(config.conditions, ctx, '.conditions');
    const conditions = compiled ?? [];
    // Mappings are checked against conditions that compiled: a broken condition is reported once, not again by each mapping.
    const mappings = (compiled && compileMappings(config.variables ?? [], compiled, ctx, '.variables')) ?? [];
    const decidesEarly = conditions.every((c) => c.happened);
    if (!config.waitFor && !decidesEarly) {
      ctx.problem('JCT_WAIT_NEVER_DECIDES', 'a "happened": false condition is decided when the wait ends: give the wait a "waitFor" duration', '.conditions');
    }
    checkDurationLength(config.waitFor, 'a wait', '.waitFor', ctx);
    const on = [...new Set(conditions.map((c) => `event:${c.event}`))].join(WAIT_KEY_SEPARATOR);
    return { conditions, mappings, waitFor: config.waitFor, fromEntry: config.includeEventsFromEntry === true, on, decidesEarly };
  },
  execute: (p, run) => {
    const bounds = boundsOf(p, run, run.events.position);
    const scope = scopeOf(run, run.now);
    if (p.decidesEarly && p.fromEntry && allHold(p.conditions, scope, bounds)) return happened(p, run, scope, bounds);
    return p.waitFor ? { wait: true, until: addDuration(run.now, p.waitFor, run.timeZone), on: p.on } : { wait: true, on: p.on };
  },
  resume: (p, run, input) => decide(p, run, input),
});

function decide(p: Prepared, run: RunContext, input: Input): Outcome | undefined {
  const bounds = boundsOf(p, run, run.participant.waitFrom);
  const scope = scopeOf(run, countedUntil(run));
  if (input.kind === 'timer') return allHold(p.conditions, scope, bounds) ? happened(p, run, scope, bounds) : NOT_HAPPENED;
  if (input.kind !== 'event') return undefined;
  if (p.decidesEarly) return allHold(p.conditions, scope, bounds) ? happened(p, run, scope, bounds) : undefined;
  const broken = p.conditions.some((c) => !c.happened && c.event === input.name && !c.test(scope, bounds));
  return broken ? NOT_HAPPENED : undefined;
}

function happened(p: Prepared, run: RunContext, scope: ConditionScope, bounds: EventBounds): Outcome {
  setMapped(run, p.mappings, scope, bounds);
  return HAPPENED;
}

/** Events since entering the flow, or those recorded after the participant arrived here. */
function boundsOf(p: Prepared, run: RunContext, arrivedAt: number): EventBounds {
  return p.fromEntry ? { since: run.participant.enteredAt, after: 0 } : { since: 0, after: arrivedAt };
}

/** For a participant waiting here: now, or the wait's last millisecond once it is over (events at its end or later do not count). */
function countedUntil(run: RunContext): number {
  const until = run.participant.waitUntil;
  return until > 0 && run.now >= until ? until - 1 : run.now;
}

/** The person's events as they stood at `now`. */
function scopeOf(run: RunContext, now: number): ConditionScope {
  return conditionScope(run.person, run.vars, run.events, now, run.timeZone);
}
