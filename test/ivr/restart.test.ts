// A restart in the middle of a call, through the real server on loopback: the recording a
// provider sends apart from the call's webhooks (Vonage's record event, jambonz's audio stream)
// is durable once it is in, so a new process on the same store, answering at the same address,
// still gives the record element its URL and length when the call's next webhook comes. So is
// a call's hang-up that came before its first webhook (that webhook still starts nothing), and
// where a retried webhook's answer left the call (a retry once it went on is a late hook). The
// new process's voice modules are new instances: nothing is carried over in memory.
import t, { type Test } from 'tap';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../gateway/app.js';
import { Engine } from '../../engine/runtime/engine.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';
import { GroupCommit } from '../../engine/store/journal.js';
import { ivrModule } from '../../ivr/index.js';
import type { Module, Settings } from '../../engine/module.js';
import { registryWith, type World } from '../engine/helpers.js';
import { jambonzCaller, plivoCaller, telnyxCaller, twilioCaller, vonageCaller, type MakeCaller } from './callers.js';
import { CALLER, OUR_NUMBER, menuServer } from './menu.js';

let processes = 0;

/** The voice modules as a new process has them: nothing in memory from the one before (a new instance of providers.ts). */
async function freshVoiceModules(): Promise<readonly Module[]> {
  const providers = (await import(`../../ivr/providers.js?process=${++processes}`)) as typeof import('../../ivr/providers.js');
  return providers.VOICE_MODULES;
}

/** Polls `check` every 10 ms for at most 5 s. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

/** Stops the app and starts a new process on the same store, at the same address. */
async function restartOn(t: Test, w: World, app: FastifyInstance, settings: Readonly<Record<string, Settings>>): Promise<Engine> {
  const { port } = app.server.address() as AddressInfo;
  await app.close();
  const modules = await freshVoiceModules();
  const engine = new Engine({ clock: w.clock, people: w.people, registry: registryWith([ivrModule, ...modules], settings), journal: new GroupCommit(w.backend, { flushMs: 0 }) });
  engine.recover(w.backend);
  const again = buildApp(engine);
  await again.listen({ port, host: '127.0.0.1' });
  t.teardown(async () => {
    await again.close();
    await engine.close();
  });
  return engine;
}

for (const makeCaller of [twilioCaller, telnyxCaller, vonageCaller, plivoCaller, jambonzCaller]) {
  t.test(`${makeCaller('').name}: a hang-up before the first webhook, then a restart: the first webhook starts nothing`, async (t: Test) => {
    const probe = makeCaller('');
    const settings = { [probe.module]: probe.settings };
    const { w, app, origin } = await menuServer(t, settings);
    const caller = makeCaller(origin, () => w.clock.now());
    t.equal(await caller.status(`${caller.name}-gone-1`, CALLER, OUR_NUMBER, 'completed'), 204);
    const engine = await restartOn(t, w, app, settings);
    t.same(await caller.start(`${caller.name}-gone-1`, CALLER, OUR_NUMBER), { said: [], hangup: true }, 'hung up');
    t.equal(w.people.findByContact(CALLER), undefined, 'no journey: the caller, not known before, is not made a person');
    t.equal(engine.refusedInputs.get('call JCT_SESSION_ENDED'), 1, 'counted');
  });

  t.test(`${makeCaller('').name}: a restart, then a retry of a webhook the call has gone on from: where the call is`, async (t: Test) => {
    const probe = makeCaller('');
    const settings = { [probe.module]: probe.settings };
    const { w, app, origin } = await menuServer(t, settings);
    const caller = makeCaller(origin, () => w.clock.now());
    const id = `${caller.name}-retry-1`;
    const menu = await caller.start(id, CALLER, OUR_NUMBER);
    const pin = await caller.reply(menu, id, CALLER, OUR_NUMBER, { digits: '2' });
    await restartOn(t, w, app, settings);
    t.same(await caller.reply(menu, id, CALLER, OUR_NUMBER, { digits: '2' }), pin, 'while the call is where the answer left it: the first answer');
    const again = await caller.reply(pin, id, CALLER, OUR_NUMBER, { digits: '12' });
    t.same(again.said, ['Enter your PIN, then hash.'], 'too short: the PIN again');
    t.same(await caller.reply(pin, id, CALLER, OUR_NUMBER, { digits: '12' }), again, 'and its retry: the same');
    t.same(await caller.reply(menu, id, CALLER, OUR_NUMBER, { digits: '2' }), { ...again, said: ['Enter your PIN, then hash.'] }, "the menu's retried once the call went on: the PIN's question, on the hook expected");
  });
}

for (const makeCaller of [vonageCaller, jambonzCaller] as const satisfies readonly MakeCaller[]) {
  t.test(`${makeCaller('').name}: a restart between the recording and the next webhook keeps the recording`, async (t: Test) => {
    const probe = makeCaller('');
    const settings = { [probe.module]: probe.settings };
    const { w, app, origin } = await menuServer(t, settings);
    const caller = makeCaller(origin, () => w.clock.now());
    const id = `${caller.name}-restart-1`;
    const reply = (turn: Parameters<typeof caller.reply>[0], outcome: Parameters<typeof caller.reply>[4], between?: () => Promise<void>) =>
      caller.reply(turn, id, CALLER, OUR_NUMBER, outcome, between);

    const forward = await reply(await caller.start(id, CALLER, OUR_NUMBER), { digits: '1' });
    const record = await reply(forward, { forward: 'busy' });
    t.equal(record.waits?.kind, 'record');
    const person = w.people.findByContact(CALLER)!.id;
    const stepsBefore = w.steps.length;

    const recordings: string[] = [];
    let restarted: { engine: Engine; app: FastifyInstance } | undefined;
    const restart = async () => {
      await until(() => w.steps.length > stepsBefore); // the recording's own step (jambonz: once its stream has ended)
      const { port } = app.server.address() as AddressInfo;
      await app.close(); // the process stops; a new one starts on the same store, at the same address
      const modules = await freshVoiceModules();
      const engine = new Engine({ clock: w.clock, people: new MemoryPeopleStore(w.clock), registry: registryWith([ivrModule, ...modules], settings), journal: new GroupCommit(w.backend, { flushMs: 0 }) });
      t.match(engine.recover(w.backend), { participants: 1 });
      engine.watchSteps((e) => e.participant.personId === person && recordings.push(String(e.participant.vars['recording'])));
      const again = buildApp(engine);
      await again.listen({ port, host: '127.0.0.1' });
      restarted = { engine, app: again };
      t.teardown(async () => {
        await again.close();
        await engine.close();
      });
    };

    const done = await reply(record, { recording: 'https://rec.example.com/r9.mp3', seconds: 6 }, restart);
    t.ok(restarted, 'restarted between the recording and the next webhook');
    t.same(done, { said: ['Thank you .'], hangup: true }, 'recorded: the journey goes on at once');
    t.match(recordings.at(-1), caller.name === 'jambonz' ? /\/voice\/jambonz\/recordings\/[0-9a-f]{32}\.wav$/ : 'https://rec.example.com/r9.mp3', 'with its URL');
    t.same(restarted!.engine.journeysOf(person), [], 'and the journey is over');
  });
}
