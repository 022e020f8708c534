// Change in People Profile entry point: a person enters when a change of one attribute of their
// profile (or a new profile holding it) makes the condition true, e.g. "tier is gold". The date
// operators that name a moment — willBeIn N, was N and wasToday on a date or date-time
// attribute — also hold by time passing, so people enter when that moment comes, as with the
// Date or Time entry (optionally every year: "birthDate wasToday, every year" is a birthday).
// A plain condition brings nobody in at launch for a value already held: it waits for changes,
// and a change that leaves it true (silver to gold for "tier is not empty") is not one that made it;
// a date operator's moment that is on at launch enters people as Date or Time does.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement, type CompileContext, type EntryHost } from '../element.js';
import { AttributeConditionSchema } from '../conditions/schema.js';
import { compileCondition, entryContext, type CompiledCondition } from '../conditions/compile.js';
import type { Duration } from '../flow-schema.js';
import type { Person } from '../person.js';
import type { PeopleChange } from '../store/interfaces.js';
import { compileMoment, MomentFields, type Moment, type MomentKind } from './date-moment.js';
import { DueIndex, setsAttribute } from './due-index.js';

const Config = Type.Object(
  {
    ...AttributeConditionSchema.properties,
    atTime: MomentFields.atTime,
    everyYear: MomentFields.everyYear,
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

type Prepared = { readonly moment: Moment } | { readonly attribute: string; readonly condition: CompiledCondition; readonly timeZone: string } | undefined;

/** The date operators whose condition starts holding at a moment, and that moment. */
const MOMENT_OF: Partial<Record<string, MomentKind>> = { willBeIn: 'isIn', was: 'was', wasToday: 'isToday' };

export default defineElement<Config, Prepared>({
  type: 'changeInProfile',
  role: 'entry',
  title: 'Change in People Profile',
  description: 'People enter when a change of an attribute makes the condition true (date operators also when their moment comes, optionally every year).',
  config: Config,
  example: { attribute: 'city', operator: 'is', value: 'Zagreb' },
  branches: () => ['next'],
  compile: (config, ctx) => {
    const condition = compileCondition({ attribute: config.attribute, operator: config.operator, value: config.value }, entryContext(ctx), '');
    if (!condition) return undefined;
    const kind = MOMENT_OF[config.operator];
    const dated = kind !== undefined && isDate(config.attribute, ctx);
    if (!dated && (config.everyYear !== undefined || config.atTime !== undefined)) {
      ctx.problem('JCT_MOMENT_OPERATOR', 'everyYear and atTime apply to willBeIn, was and wasToday on a date or date-time attribute', config.everyYear !== undefined ? '.everyYear' : '.atTime');
      return undefined;
    }
    if (!dated) return { attribute: config.attribute, condition, timeZone: ctx.timeZone };
    const offset = kind === 'isToday' ? {} : { offset: config.value as Duration };
    const moment = compileMoment({ attribute: config.attribute, when: kind, ...offset, atTime: config.atTime, everyYear: config.everyYear }, ctx, '.value');
    return moment && { moment };
  },
  activate: (p, host) => {
    if (!p) return undefined;
    if ('moment' in p) return new DueIndex(p.moment, host).start();
    return host.onPeopleChange((change) => enterIfMet(p, change, host));
  },
});

function isDate(attribute: string, ctx: CompileContext): boolean {
  const type = ctx.attributes.get(attribute)?.type;
  return type === 'date' || type === 'datetime';
}

/** Enters the person when the change made the condition true: it holds now and did not before the change. */
function enterIfMet(p: { attribute: string; condition: CompiledCondition; timeZone: string }, change: PeopleChange, host: EntryHost): void {
  const person = setsAttribute(change, p.attribute) ? host.people.get(change.personId) : undefined;
  if (!person) return;
  const holds = (profile: Person): boolean => p.condition.test({ person: profile, vars: {}, now: host.now(), timeZone: p.timeZone });
  if (holds(person) && !(change.before && holds(change.before))) host.enter(person.id);
}
