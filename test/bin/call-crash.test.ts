// A call survives a crash: `junction start` answers a Twilio call with the example IVR menu, the
// caller chooses support, the process is SIGKILLed while the caller types their customer
// number, and after a restart on the same address the next webhook continues the same call
// where it was (the number is taken, thanked, and the call ends). Likewise a Vonage voicemail:
// the process is SIGKILLed once the recording's own event is acknowledged, and the notify that
// follows finds the recording (recorded: thanked).
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { closedPort } from '../gateway/services.js';
import { startJunction } from './junction-process.js';
import { twilioCaller, vonageCaller } from '../ivr/callers.js';

const OUR_NUMBER = '+14155550100'; // the example flow's Inbound Call number
const CALLER = '+14155550177';

/** The environment of a process on a port of its own and the test's data folder, with `secrets` for the voice platform. */
async function callEnv(t: Test, secrets: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const port = await closedPort();
  return { ...process.env, JUNCTION_PORT: String(port), JUNCTION_HOST: '127.0.0.1', JUNCTION_DATA_DIR: t.testdir(), ...secrets };
}

t.test('a SIGKILL between two steps of a call: the next webhook continues it', async (t) => {
  const env = await callEnv(t, { JUNCTION_TWILIO_VOICE_AUTH_TOKEN: 'twilio-test-token' });
  const first = startJunction(env);
  const origin = await first.address;
  const caller = twilioCaller(origin);
  const menu = await caller.start('CA-crash-1', CALLER, OUR_NUMBER);
  t.match(menu.said, ['Welcome to Acme.', /press 1/]);
  const ask = await caller.reply(menu, 'CA-crash-1', CALLER, OUR_NUMBER, { digits: '2' });
  t.match(ask.said, [/customer number/]);
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');

  const second = startJunction(env);
  t.teardown(() => second.child.kill('SIGKILL'));
  t.equal(await second.address, origin, 'the same address');
  const done = await caller.reply(ask, 'CA-crash-1', CALLER, OUR_NUMBER, { digits: '4711' });
  t.same(done, { said: ['Thank you. Someone will get back to you today. Goodbye.'], hangup: true });
});

t.test("a SIGKILL between a Vonage recording's event and the next webhook: the recording is kept", async (t) => {
  const env = await callEnv(t, { JUNCTION_VONAGE_VOICE_SIGNATURE_SECRET: 'vonage-test-signature-secret' });
  const first = startJunction(env);
  const origin = await first.address;
  const caller = vonageCaller(origin);
  const call = 'vonage-crash-1';
  const forward = await caller.reply(await caller.start(call, CALLER, OUR_NUMBER), call, CALLER, OUR_NUMBER, { digits: '1' });
  const record = await caller.reply(forward, call, CALLER, OUR_NUMBER, { forward: 'busy' });
  t.equal(record.waits?.kind, 'record');
  let second: ReturnType<typeof startJunction> | undefined;
  const crash = async () => {
    first.child.kill('SIGKILL'); // the record event was acknowledged (204)
    await once(first.child, 'exit');
    second = startJunction(env);
    t.equal(await second.address, origin, 'the same address');
  };
  t.teardown(() => second?.child.kill('SIGKILL'));
  const done = await caller.reply(record, call, CALLER, OUR_NUMBER, { recording: 'https://api.nexmo.com/v1/files/r1', seconds: 9 }, crash);
  t.ok(second, 'restarted between the two');
  t.same(done, { said: ['Thank you. Someone will get back to you today. Goodbye.'], hangup: true }, 'recorded');
});
