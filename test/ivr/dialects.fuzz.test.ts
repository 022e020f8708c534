// Every dialect against random input: any instruction list renders to a document its provider
// can parse (XML with one <Response>, an NCCO array, a jambonz verb array valid by
// @jambonz/verb-specifications) or is refused with JCT_IVR_INSTRUCTION_INVALID; any webhook
// body reads into a call event or is refused with JCT_CALL_MALFORMED, never anything else.
import t from 'tap';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { JunctionError } from '../../engine/errors.js';
import { DIALECTS } from '../../ivr/dialects/index.js';
import type { Instruction, Prompt } from '../../ivr/instructions.js';
import { formPost, get, hookUrl, jsonPost, responseVerbs } from './fixtures.js';

const { validate } = createRequire(import.meta.url)('@jambonz/verb-specifications') as { validate: (logger: object, verbs: unknown) => void };
const logger = { info() {}, debug() {}, error() {}, warn() {} };

const text = fc.string({ maxLength: 40 });
const seconds = fc.integer({ min: 0, max: 200 });
const prompt: fc.Arbitrary<Prompt> = fc.oneof(
  fc.record({ kind: fc.constant('say' as const), text, voice: fc.option(text, { nil: undefined }), language: fc.option(fc.constantFrom('en-US', 'de-DE'), { nil: undefined }), loop: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }) }, { requiredKeys: ['kind', 'text'] }),
  fc.record({ kind: fc.constant('play' as const), url: fc.webUrl(), loop: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }) }, { requiredKeys: ['kind', 'url'] }),
);
const hook = fc.stringMatching(/^[a-z]{1,8}:[a-z0-9]{1,8}$/);
const instruction: fc.Arbitrary<Instruction> = fc.oneof(
  prompt,
  fc.record({ kind: fc.constant('pause' as const), seconds: fc.integer({ min: 1, max: 40 }) }),
  fc.integer({ min: 1, max: 30 }).chain((min) =>
    fc.record({
      kind: fc.constant('collect' as const),
      hook,
      prompts: fc.array(prompt, { maxLength: 3 }),
      dtmf: fc.boolean(),
      speech: fc.boolean(),
      firstTimeout: seconds,
      interDigitTimeout: seconds,
      minDigits: fc.constant(min),
      maxDigits: fc.integer({ min, max: 40 }),
      finishKey: fc.constantFrom('#' as const, '*' as const, null),
      interruptPrompt: fc.boolean(),
      speechOptions: fc.option(fc.record({ language: fc.option(fc.constant('en-GB'), { nil: undefined }), hints: fc.array(text, { maxLength: 4 }), endSilence: fc.option(fc.double({ min: 0, max: 20, noNaN: true }), { nil: undefined }) }), { nil: undefined }),
    }),
  ),
  fc.record({ kind: fc.constant('record' as const), hook, maxLength: fc.integer({ min: 1, max: 9000 }), finishKey: fc.constantFrom('#', '*', null), beep: fc.boolean(), silenceTimeout: seconds }),
  fc.record({
    kind: fc.constant('forward' as const),
    hook,
    targets: fc.array(fc.oneof(fc.record({ type: fc.constant('phone' as const), address: fc.stringMatching(/^\+[1-9]\d{6,14}$/) }), fc.record({ type: fc.constant('sip' as const), address: fc.constant('sip:a@b.example.com') })), { maxLength: 3 }),
    callerId: fc.option(fc.constant('+15557650002'), { nil: undefined }),
    ringTimeout: seconds,
  }),
  fc.record({ kind: fc.constant('redirect' as const), hook }),
  fc.constant({ kind: 'hangup' as const }),
);

function isCode(err: unknown, code: string): boolean {
  return err instanceof JunctionError && err.code === code;
}

t.test('any instruction list renders to a document its provider parses, or is refused with a stable code', async (t) => {
  fc.assert(
    fc.property(fc.array(instruction, { maxLength: 6 }), (instructions) => {
      for (const dialect of Object.values(DIALECTS)) {
        let doc: string;
        try {
          doc = dialect.render(instructions, hookUrl);
        } catch (err) {
          if (isCode(err, 'JCT_IVR_INSTRUCTION_INVALID')) continue;
          throw err;
        }
        if (dialect.contentType === 'text/xml') responseVerbs(doc);
        else if (dialect.name === 'jambonz') validate(logger, JSON.parse(doc));
        else if (!Array.isArray(JSON.parse(doc))) throw new Error('an NCCO is an array');
      }
    }),
    { numRuns: 300 },
  );
  t.pass('300 random instruction lists');
});

t.test('any webhook body reads into a call event or is refused with JCT_CALL_MALFORMED', async (t) => {
  const fields = fc.dictionary(fc.constantFrom('CallSid', 'CallUUID', 'From', 'To', 'Digits', 'SpeechResult', 'Confidence', 'RecordingUrl', 'RecordingDuration', 'DialCallStatus', 'DialStatus', 'CallStatus', 'Direction', 'x'), text);
  const json = fc.oneof(
    fc.anything(),
    fc.dictionary(
      fc.constantFrom('call_sid', 'uuid', 'conversation_uuid', 'from', 'to', 'status', 'call_status', 'reason', 'digits', 'dtmf', 'speech', 'recording_url', 'start_time', 'end_time', 'duration', 'dial_call_status', 'direction'),
      fc.oneof(fc.anything(), fc.record({ digits: fc.anything(), timed_out: fc.boolean(), results: fc.anything(), alternatives: fc.anything() })),
    ),
  );
  const request = fc.oneof(
    fields.map((f) => formPost('/ivr/hook?noInput=1', f)),
    fields.map((f) => get('/ivr/hook', f)),
    json.map((body) => jsonPost('/ivr/hook?forward=1', body, {}, '{}')),
    json.map((body) => jsonPost('/ivr/hook', body, {}, '{}')),
  );
  fc.assert(
    fc.property(request, (req) => {
      for (const dialect of Object.values(DIALECTS)) {
        try {
          const event = dialect.read(req);
          if (typeof event.callId !== 'string' || event.callId === '') throw new Error('an event without a call id');
        } catch (err) {
          if (!isCode(err, 'JCT_CALL_MALFORMED')) throw err;
        }
      }
    }),
    { numRuns: 500 },
  );
  t.pass('500 random webhooks');
});
