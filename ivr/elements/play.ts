// Play: plays an audio file to the caller, a number of times, then goes on.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement } from '../../engine/element.js';
import { answered, Loop, requireCall } from './in-call.js';
import type { PlayPrompt } from '../instructions.js';

const Config = Type.Object({ url: Type.String({ pattern: '^https?://', maxLength: 2000, description: 'URL of an audio file (MP3 or WAV)' }), loop: Loop }, { additionalProperties: false });
type Config = Static<typeof Config>;

export default defineElement<Config, PlayPrompt>({
  type: 'play',
  role: 'element',
  title: 'Play',
  description: 'Plays an audio file to the caller, then goes on.',
  config: Config,
  example: { url: 'https://example.com/audio/welcome.mp3' },
  branches: () => ['next'],
  compile: (config, ctx) => {
    requireCall(ctx);
    return { kind: 'play', url: config.url, ...(config.loop ? { loop: config.loop } : {}) };
  },
  execute: (p, run) => answered(run, p),
});
