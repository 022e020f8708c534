// Hang up: ends the call, and the caller's journey with it.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement } from '../../engine/element.js';
import { EXIT } from '../../engine/vocabulary.js';
import { answer, requireCall } from './in-call.js';

const Config = Type.Object({}, { additionalProperties: false });
type Config = Static<typeof Config>;

export default defineElement<Config, null>({
  type: 'hangUp',
  role: 'element',
  title: 'Hang up',
  description: 'Ends the call; the journey ends with it.',
  config: Config,
  example: {},
  branches: () => [],
  compile: (_config, ctx) => {
    requireCall(ctx);
    return null;
  },
  execute: (_p, run) => {
    answer(run, { kind: 'hangup' });
    return EXIT;
  },
});
