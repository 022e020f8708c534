// Say: speaks a text (with placeholders) to the caller in a voice and language, a number of
// times, then goes on.
import { Type, type Static } from '@sinclair/typebox';
import { defineElement } from '../../engine/element.js';
import { answered, Loop, preparePrompt, promptOf, requireCall, Voice, type PreparedPrompt } from './in-call.js';

const Config = Type.Object({ text: Type.String({ minLength: 1, maxLength: 3000, description: 'what to say; {{placeholders}} allowed' }), ...Voice, loop: Loop }, { additionalProperties: false });
type Config = Static<typeof Config>;

export default defineElement<Config, PreparedPrompt>({
  type: 'say',
  role: 'element',
  title: 'Say',
  description: 'Speaks a text to the caller (text to speech), then goes on.',
  config: Config,
  example: { text: 'Hello {{person.firstName}}, thank you for calling.', language: 'en-US' },
  branches: () => ['next'],
  compile: (config, ctx) => {
    requireCall(ctx);
    const { text, ...rest } = config;
    return preparePrompt({ say: text, ...rest }, ctx, '');
  },
  execute: (p, run) => answered(run, promptOf(p, run)),
});
