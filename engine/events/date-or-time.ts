// Date or Time entry point: people enter when the moment a date or date-time attribute of
// their profile names comes (date-moment.ts): so many hours or days before or after it, on its
// day, the day before or the day after, optionally every year. The due index (due-index.ts)
// keeps each person's next moment and follows changes of the attribute; people whose moment is
// on when the flow launches enter at once.
import { defineElement } from '../element.js';
import { compileMoment, MomentConfigSchema, type MomentConfig, type Moment } from './date-moment.js';
import { DueIndex } from './due-index.js';

export default defineElement<MomentConfig, Moment | undefined>({
  type: 'dateOrTime',
  role: 'entry',
  title: 'Date or Time',
  description: 'People enter when a date or date-time in their profile comes: N before or after it, on its day, the day before or after, optionally every year.',
  config: MomentConfigSchema,
  example: { attribute: 'birthDate', when: 'isToday', atTime: '09:00', everyYear: true },
  branches: () => ['next'],
  compile: (config, ctx) => compileMoment(config, ctx),
  activate: (moment, host) => (moment ? new DueIndex(moment, host).start() : undefined),
});
