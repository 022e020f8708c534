// The IVR menu the dialog tests call: calls.test.ts through every platform's HTTP webhooks,
// jambonz-socket.test.ts through jambonz's WebSocket API. The real app serves it on loopback,
// with the voice modules' settings given; the engine runs on a virtual clock.
import type { Test } from 'tap';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../gateway/app.js';
import type { Settings } from '../../engine/module.js';
import { ivrModule } from '../../ivr/index.js';
import { VOICE_MODULES } from '../../ivr/providers.js';
import { world, type World } from '../engine/helpers.js';

export const OUR_NUMBER = '+14155550000';
export const CALLER = '+14155550123';

/** The menu every dialog calls. */
export const MENU_FLOW = {
  schemaVersion: 1,
  id: 'menu',
  name: 'Acme menu',
  entryPoints: [{ id: 'call', type: 'inboundCall', config: { numbers: [OUR_NUMBER] }, branches: { next: 'hello' } }],
  elements: [
    { id: 'hello', type: 'say', config: { text: 'Welcome to Acme.' }, branches: { next: 'menu' } },
    {
      id: 'menu',
      type: 'collect',
      config: {
        prompts: [{ say: 'Press 1 for sales, 2 for support.' }],
        options: [
          { name: 'sales', digits: '1' },
          { name: 'support', digits: '2' },
        ],
        noMatchPrompt: { say: 'That is not an option.' },
        noInputPrompt: { say: 'Are you there?' },
      },
      branches: { sales: 'desk', support: 'pin', noInput: 'bye', noMatch: 'bye' },
    },
    { id: 'desk', type: 'forwardCall', config: { to: ['+14155550111'] }, branches: { answered: 'end', busy: 'busy', noAnswer: 'busy', failed: 'busy' } },
    { id: 'busy', type: 'say', config: { text: 'Sales is busy.' }, branches: { next: 'voicemail' } },
    { id: 'voicemail', type: 'record', config: { prompt: { say: 'Leave a message.' }, urlTo: 'recording' }, branches: { recorded: 'thanks', notRecorded: 'end' } },
    { id: 'pin', type: 'collect', config: { prompts: [{ say: 'Enter your PIN, then hash.' }], minDigits: 4, maxDigits: 4, finishKey: '#', saveTo: 'pin' }, branches: { next: 'thanks', noInput: 'bye', noMatch: 'bye' } },
    { id: 'thanks', type: 'say', config: { text: 'Thank you {{pin}}.' }, branches: { next: 'end' } },
    { id: 'bye', type: 'say', config: { text: 'Goodbye.' }, branches: { next: 'end' } },
    { id: 'end', type: 'exit', config: {} },
  ],
  settings: {
    variables: [
      { name: 'pin', type: 'text', default: '' },
      { name: 'recording', type: 'text', default: '' },
    ],
  },
};

/** The menu flow (or another: `flow`), live, behind the app listening on loopback (`origin`: its http address). */
export async function menuServer(t: Test, settings: Readonly<Record<string, Settings>>, flow: { readonly id: string } = MENU_FLOW): Promise<{ w: World; app: FastifyInstance; origin: string }> {
  const w = world({ start: new Date().toISOString(), modules: [ivrModule, ...VOICE_MODULES], settings });
  w.engine.save(flow);
  w.engine.launch(flow.id);
  const app = buildApp(w.engine);
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    await w.engine.close();
  });
  return { w, app, origin: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}
