// Pause (call): a few seconds of silence on the call, then goes on.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement } from '../../engine/element.js';
import { answered, requireCall } from './in-call.js';
import type { Pause } from '../instructions.js';

const Config = Type.Object({ seconds: Type.Integer({ minimum: 1, maximum: 60, description: 'seconds of silence' }) }, { additionalProperties: false });
type Config = Static<typeof Config>;

export default defineElement<Config, Pause>({
  type: 'callPause',
  role: 'element',
  title: 'Pause (call)',
  description: 'Keeps the caller on the line in silence for some seconds, then goes on.',
  config: Config,
  example: { seconds: 2 },
  branches: () => ['next'],
  compile: (config, ctx) => {
    requireCall(ctx);
    return { kind: 'pause', seconds: config.seconds };
  },
  execute: (p, run) => answered(run, p),
});
