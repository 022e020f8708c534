// People Real-Time Event entry point: a person enters when an event they perform completes the
// entry's conditions — every one must hold, counted in their history at that moment, and the
// event itself must pass the filters of a "happened" condition on its name. Events from before
// the flow version went live do not count unless includeEventsBeforeLaunch is set. Properties
// of the latest matching events may be mapped into flow variables. Repeated events re-enter
// the person as the flow's frequency cap allows.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type EventEntry } from '../element.js';
import { ALL_HISTORY, type EventBounds } from '../conditions/events.js';
import { entryContext } from '../conditions/compile.js';
import { allHold, compileConditions, compileMappings, conditionScope, EventConditionsSchema, mappedValues, VariableMappingsSchema } from './event-conditions.js';

const Config = Type.Object(
  {
    conditions: EventConditionsSchema,
    includeEventsBeforeLaunch: Type.Optional(Type.Boolean({ description: 'Count events from before the flow version went live (default false)' })),
    variables: Type.Optional(VariableMappingsSchema),
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

const NOT_COMPILED: EventEntry = { names: [], match: () => undefined };

export default defineElement<Config, EventEntry>({
  type: 'realTimeEvent',
  role: 'entry',
  title: 'People Real-Time Event',
  description: 'People enter when an event they perform completes the conditions (happened / not happened, how often, within which time, with which properties).',
  config: Config,
  example: {
    conditions: [
      { event: 'person.tagAdded', happened: true, where: [{ property: 'tag', operator: 'is', value: 'vip' }] },
      { event: 'flow.exited', happened: false, within: { amount: 30, unit: 'days' } },
    ],
  },
  branches: () => ['next'],
  triggeredBy: 'event',
  compile: (config, ctx) => {
    const conditions = compileConditions(config.conditions, entryContext(ctx), '.conditions');
    const mappings = conditions && compileMappings(config.variables ?? [], conditions, ctx, '.variables');
    if (!conditions || !mappings) return NOT_COMPILED;
    const starters = conditions.filter((c) => c.happened);
    const timeZone = ctx.timeZone;
    const includeBefore = config.includeEventsBeforeLaunch === true;
    return {
      names: starters.map((c) => c.event),
      match(event, person, history, now, activatedAt) {
        const scope = conditionScope(person, {}, history, now, timeZone);
        if (!starters.some((c) => c.event === event.name && c.accepts(event.properties, scope))) return undefined;
        const bounds: EventBounds = includeBefore ? ALL_HISTORY : { since: activatedAt, after: 0 };
        return allHold(conditions, scope, bounds) ? mappedValues(mappings, scope, bounds) : undefined;
      },
    };
  },
});
