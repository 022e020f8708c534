// Wait for a date: holds the participant until the moment a date or date-time attribute of the
// person's profile names (date-moment.ts: N before or after it, on its day, the day before or
// after, optionally every year), then goes on by "next". A participant that arrives while the
// moment lasts goes on at once; one whose person has no such date, or whose moment is over
// (and not every year), takes "missed". A change of the attribute while waiting moves the
// wake-up to the new moment. A wake-up that runs late (the flow was paused, the engine down)
// is decided at the time it was due: the moment came while the participant waited, so it goes
// on by "next" even when that occurrence is over by now.
import { defineElement, type RunContext } from '../element.js';
import { attributeValue } from '../people/profile.js';
import type { Outcome } from '../vocabulary.js';
import { compileMoment, MomentConfigSchema, type MomentConfig, nextOccurrence, type Moment } from './date-moment.js';
import { changes, ON_PROFILE_CHANGE, PROFILE_CHANGED } from './wait-for-profile-change.js';

const NEXT = 0;
const MISSED = 1;

export default defineElement<MomentConfig, Moment | undefined>({
  type: 'waitForDate',
  role: 'element',
  title: 'Wait for a date',
  description: 'Waits until a date or date-time in the profile comes (N before or after it, on its day, the day before or after, optionally every year); "missed" when there is none ahead.',
  config: MomentConfigSchema,
  example: { attribute: 'birthDate', when: 'isTomorrow', atTime: '10:00', everyYear: true },
  branches: () => ['next', 'missed'],
  waits: true,
  listensFor: () => [PROFILE_CHANGED],
  compile: (config, ctx) => compileMoment(config, ctx),
  execute: (moment, run) => decide(moment!, run, run.now),
  resume: (moment, run, input) => {
    if (input.kind === 'timer') return decide(moment!, run, Math.min(run.now, run.participant.waitUntil));
    return changes(moment!.attribute, input) ? decide(moment!, run, run.now) : undefined;
  },
});

/** Next when the moment's occurrence is on at `at` (now, or when a wake-up was due), else a wait for the next one, or missed. */
function decide(moment: Moment, run: RunContext, at: number): Outcome {
  const next = nextOccurrence(moment, attributeValue(run.person, moment.attribute), at);
  if (!next) return MISSED;
  return next.at <= at ? NEXT : { wait: true, until: next.at, on: ON_PROFILE_CHANGE };
}
