// The Outbound call element through the real server on loopback, for every voice provider: a
// fake provider REST API (node:http on 127.0.0.1) records the request that places the call and
// answers like the provider; the scripted callers (callers.ts) then play the provider fetching
// the answer webhook and sending status callbacks to the addresses Junction gave. Covered: an
// answered call that plays a menu and takes a key; a message recorded in it (jambonz: the
// audio address carries the call's reference too); busy; no answer; the API refusing (failed);
// the race where the answer webhook comes before the API's answer; a call nobody reports on;
// and the validator (IVR elements only after the `answered` branch).
import t, { type Test } from 'tap';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { generateKeyPairSync, verify } from 'node:crypto';
import { buildApp } from '../../gateway/app.js';
import { ivrModule } from '../../ivr/index.js';
import { VOICE_MODULES } from '../../ivr/providers.js';
import { VOICE_PROVIDERS } from '../../ivr/call-event.js';
import { Engine } from '../../engine/runtime/engine.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';
import { GroupCommit } from '../../engine/store/journal.js';
import { registryWith, world, type World } from '../engine/helpers.js';
import { jambonzCaller, plivoCaller, telnyxCaller, twilioCaller, vonageCaller, type Caller, type MakeCaller } from './callers.js';

const OUR_NUMBER = '+14155550000';

// ── the fake provider API ────────────────────────────────────────────────────

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  /** The JSON body parsed, or the form's fields. */
  readonly body: Record<string, unknown>;
}

interface Reply {
  readonly status: number;
  readonly json: unknown;
}

/** Answers each request with what `next` says (default: the provider's 2xx), and lets a test await it. */
class FakeApi {
  readonly requests: Recorded[] = [];
  /** How the next request is answered; called with the request (it may call Junction first). */
  next: ((req: Recorded) => Promise<Reply>) | undefined;
  /** How every request is answered while set (e.g. the API down). */
  always: Reply | undefined;
  private waiting: Array<(req: Recorded) => void> = [];
  private server: Server | undefined;
  origin = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        const body = String(req.headers['content-type']).includes('json') ? (JSON.parse(raw) as Record<string, unknown>) : formOf(raw);
        const recorded: Recorded = { method: req.method!, path: req.url!, headers: req.headers, body };
        this.requests.push(recorded);
        const fixed = this.always;
        const answer = this.next ?? (() => Promise.resolve(fixed ?? placedAnswer(recorded)));
        this.next = undefined;
        this.waiting.shift()?.(recorded);
        void answer(recorded).then((r) => {
          res.writeHead(r.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(r.json));
        });
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next request the API receives. */
  request(): Promise<Recorded> {
    return new Promise((r) => this.waiting.push(r));
  }

  close(): Promise<void> {
    return new Promise((r) => this.server!.close(() => r()));
  }
}

function formOf(raw: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) out[k] = k in out ? [out[k], v].flat() : v;
  return out;
}

// ── the providers ───────────────────────────────────────────────────────────

const vonageKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });

interface Api {
  readonly caller: MakeCaller;
  /** The voice module's outbound settings, beside the caller's signing ones. */
  readonly settings: Record<string, unknown>;
  readonly path: string;
  /** The answer and status addresses in the request. */
  addresses(body: Record<string, unknown>): { answer: string; status: string };
  /** What the API answers a placed call with (the provider's call id `id`). */
  placed(id: string): unknown;
  /** A refusal, in the provider's shape. */
  readonly refusal: Reply;
  /** Checks the request's authentication and fields. */
  check(t: Test, req: Recorded, to: string): void;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const bare = (phone: string) => phone.replace(/^\+/, '');

const APIS: Readonly<Record<string, Api>> = {
  twilio: {
    caller: twilioCaller,
    settings: { accountSid: 'AC11111111111111111111111111111111' },
    path: '/2010-04-01/Accounts/AC11111111111111111111111111111111/Calls.json',
    addresses: (b) => ({ answer: b['Url'] as string, status: b['StatusCallback'] as string }),
    placed: (id) => ({ sid: id, status: 'queued' }),
    refusal: { status: 400, json: { code: 21215, message: 'Geo permission configuration is not permitting call', status: 400 } },
    check(t, req, to) {
      t.equal(req.headers.authorization, basic('AC11111111111111111111111111111111', 'twilio-test-token'));
      t.match(req.body, { To: to, From: OUR_NUMBER, Method: 'POST', StatusCallbackMethod: 'POST', StatusCallbackEvent: 'completed', Timeout: '20' });
    },
  },
  telnyx: {
    caller: telnyxCaller,
    settings: { apiKey: 'KEY-telnyx', accountSid: 'acc-telnyx', applicationSid: 'app-texml' },
    path: '/v2/texml/Accounts/acc-telnyx/Calls',
    addresses: (b) => ({ answer: b['Url'] as string, status: b['StatusCallback'] as string }),
    placed: (id) => ({ call_sid: id, from: OUR_NUMBER, status: 'queued' }),
    refusal: { status: 422, json: { errors: [{ code: '10015', title: 'Bad Request', detail: 'The destination number is invalid.' }] } },
    check(t, req, to) {
      t.equal(req.headers.authorization, 'Bearer KEY-telnyx');
      t.match(req.body, { ApplicationSid: 'app-texml', To: to, From: OUR_NUMBER, UrlMethod: 'POST', StatusCallbackMethod: 'POST', Timeout: 20 });
    },
  },
  vonage: {
    caller: vonageCaller,
    settings: { applicationId: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab', privateKey: vonageKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    path: '/v1/calls',
    addresses: (b) => ({ answer: (b['answer_url'] as string[])[0]!, status: (b['event_url'] as string[])[0]! }),
    placed: (id) => ({ uuid: `${id}-leg`, status: 'started', direction: 'outbound', conversation_uuid: id }),
    refusal: { status: 400, json: { type: 'https://developer.nexmo.com/api-errors/voice#validation', title: 'Bad Request', detail: 'Invalid number' } },
    check(t, req, to) {
      const [head, claims, signature] = String(req.headers.authorization).replace(/^Bearer /, '').split('.') as [string, string, string];
      t.ok(verify('RSA-SHA256', Buffer.from(`${head}.${claims}`), vonageKeys.publicKey, Buffer.from(signature, 'base64url')), 'the JWT is signed with the private key');
      t.match(JSON.parse(Buffer.from(claims, 'base64url').toString()), { application_id: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab', iat: Number, exp: Number, jti: String });
      t.match(req.body, { to: [{ type: 'phone', number: bare(to) }], from: { type: 'phone', number: bare(OUR_NUMBER) }, answer_method: 'POST', event_method: 'POST', ringing_timer: 20 });
    },
  },
  plivo: {
    caller: plivoCaller,
    settings: { authId: 'MA0000000000000000AB' },
    path: '/v1/Account/MA0000000000000000AB/Call/',
    addresses: (b) => ({ answer: b['answer_url'] as string, status: b['hangup_url'] as string }),
    placed: () => ({ api_id: 'api-1', message: 'call fired', request_uuid: 'request-1' }),
    refusal: { status: 400, json: { api_id: 'api-2', error: 'invalid destination number' } },
    check(t, req, to) {
      t.equal(req.headers.authorization, basic('MA0000000000000000AB', 'plivo-test-token'));
      t.match(req.body, { from: bare(OUR_NUMBER), to: bare(to), answer_method: 'POST', hangup_method: 'POST', ring_timeout: 20 });
    },
  },
  jambonz: {
    caller: jambonzCaller,
    settings: { accountSid: 'acc-jambonz', apiKey: 'KEY-jambonz' },
    path: '/v1/Accounts/acc-jambonz/Calls',
    addresses: (b) => ({ answer: (b['call_hook'] as { url: string }).url, status: (b['call_status_hook'] as { url: string }).url }),
    placed: (id) => ({ sid: id }),
    refusal: { status: 400, json: { msg: 'invalid to number' } },
    check(t, req, to) {
      t.equal(req.headers.authorization, 'Bearer KEY-jambonz');
      t.match(req.body, { from: bare(OUR_NUMBER), to: { type: 'phone', number: bare(to) }, call_hook: { method: 'POST' }, call_status_hook: { method: 'POST' }, timeout: 20 });
    },
  },
};

/** The API's 2xx for a request, the call id from the number called (so the test knows it). */
function placedAnswer(req: Recorded): Reply {
  const api = Object.values(APIS).find((a) => a.path === req.path);
  return api ? { status: 201, json: api.placed(callIdFor(req)) } : { status: 404, json: { message: 'no such API' } };
}

const callIdFor = (req: Recorded): string => `call-${JSON.stringify(req.body).match(/14155551\d{3}/)![0]}`;

// ── the flow and the app ────────────────────────────────────────────────────

/** Calls the person through `provider`: answered → a menu (3: a message recorded); every other branch tags the person with its name. */
function outboundFlow(provider: string): object {
  const tag = (name: string) => ({ id: `tag-${name}`, type: 'addTag', config: { tags: [name] }, branches: { next: 'end' } });
  return {
    schemaVersion: 1,
    id: `out-${provider}`,
    name: `outbound through ${provider}`,
    entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'dial' } }],
    elements: [
      { id: 'dial', type: 'outboundCall', config: { provider, from: OUR_NUMBER, ringTimeout: 20 }, branches: { answered: 'menu', busy: 'tag-busy', noAnswer: 'tag-noAnswer', failed: 'tag-failed' } },
      {
        id: 'menu',
        type: 'collect',
        config: {
          prompts: [{ say: 'Your delivery is tomorrow. Press 1 to confirm, 2 to change it.' }],
          options: [
            { name: 'confirm', digits: '1' },
            { name: 'change', digits: '2' },
            { name: 'message', digits: '3' },
          ],
        },
        branches: { confirm: 'yes', change: 'no', message: 'leave', noInput: 'end', noMatch: 'end' },
      },
      { id: 'leave', type: 'record', config: { prompt: { say: 'Leave a message.' } }, branches: { recorded: 'kept', notRecorded: 'end' } },
      { id: 'kept', type: 'say', config: { text: 'Message kept.' }, branches: { next: 'end' } },
      { id: 'yes', type: 'say', config: { text: 'Confirmed. Goodbye.' }, branches: { next: 'end' } },
      { id: 'no', type: 'say', config: { text: 'An agent will call you.' }, branches: { next: 'end' } },
      tag('busy'),
      tag('noAnswer'),
      tag('failed'),
      { id: 'end', type: 'exit', config: {} },
    ],
  };
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Setup {
  readonly w: World;
  readonly api: FakeApi;
  readonly origin: string;
}

/** Every voice module pointed at the fake API, an outbound flow per provider live, the app on loopback. */
async function setup(t: Test): Promise<Setup> {
  const api = new FakeApi();
  await api.start();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const settings = Object.fromEntries(
    Object.values(APIS).map((a) => {
      const probe = a.caller('');
      return [probe.module, { ...probe.settings, ...a.settings, apiBaseUrl: api.origin, publicBaseUrl: origin }];
    }),
  );
  const w = world({ start: new Date().toISOString(), modules: [ivrModule, ...VOICE_MODULES], settings });
  for (const provider of Object.keys(APIS)) {
    w.engine.save(outboundFlow(provider));
    w.engine.launch(`out-${provider}`);
  }
  const app = buildApp(w.engine);
  await app.listen({ port, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    await w.engine.close();
    await api.close();
  });
  return { w, api, origin };
}

let phones = 0;

/** A new person (their own phone) entered into the provider's flow; resolves with the API request that places the call. */
async function dialed(s: Setup, provider: string): Promise<{ personId: string; phone: string; req: Promise<Recorded> }> {
  const phone = `+14155551${String(++phones).padStart(3, '0')}`;
  const personId = s.w.engine.personKey({ phones: [phone] });
  await s.w.engine.submit(personId, { kind: 'person.upsert', person: { id: personId, phones: [phone] } });
  const req = s.api.request();
  await s.w.engine.enter(`out-${provider}`, personId);
  return { personId, phone, req };
}

const tagsOf = (w: World, personId: string) => [...(w.people.get(personId)?.tags ?? [])];

// ── the tests ───────────────────────────────────────────────────────────────

t.test('outbound calls through every provider', async (t) => {
  const s = await setup(t);

  for (const [provider, api] of Object.entries(APIS)) {
    t.test(provider, async (t) => {
      const caller: Caller = api.caller(s.origin, () => s.w.clock.now());

      t.test('answered: a message recorded in the call reaches its element', async (t) => {
        const d = await dialed(s, provider);
        const req = await d.req;
        const { answer } = api.addresses(req.body);
        await s.w.engine.idle();
        const callId = callIdFor(req);
        const record = await caller.reply(await caller.answerAt(answer, callId, OUR_NUMBER, d.phone), callId, OUR_NUMBER, d.phone, { digits: '3' });
        t.same(record.said, ['Leave a message.']);
        t.equal(record.waits?.kind, 'record');
        const done = await caller.reply(record, callId, OUR_NUMBER, d.phone, { recording: 'https://rec.example.com/out.mp3', seconds: 3 });
        t.same(done, { said: ['Message kept.'], hangup: true }, 'recorded');
      });

      t.test('answered: the menu is played in the call and a key taken', async (t) => {
        const d = await dialed(s, provider);
        const req = await d.req;
        t.equal(req.method, 'POST');
        t.equal(req.path, api.path);
        api.check(t, req, d.phone);
        const { answer, status } = api.addresses(req.body);
        t.match(answer, `${s.origin}/voice/${provider}/hook?h=dial`);
        t.match(status, `${s.origin}/voice/${provider}/status?p=`);
        await s.w.engine.idle();
        t.equal(s.w.engine.journeysOf(d.personId).length, 1, 'waiting for the call');
        const callId = callIdFor(req);
        const menu = await caller.answerAt(answer, callId, OUR_NUMBER, d.phone);
        t.same(menu.said, ['Your delivery is tomorrow. Press 1 to confirm, 2 to change it.']);
        t.equal(menu.waits?.kind, 'collect');
        t.match(menu.waits?.url, /[?&]o=/, "the call's later hooks carry its reference");
        const done = await caller.reply(menu, callId, OUR_NUMBER, d.phone, { digits: '1' });
        t.same(done, { said: ['Confirmed. Goodbye.'], hangup: true });
        t.same(s.w.engine.journeysOf(d.personId), [], 'the journey is over');
        t.same(tagsOf(s.w, d.personId), []);
        t.equal(await caller.statusAt(status, callId, OUR_NUMBER, d.phone, 'completed'), 204, 'the last status callback is taken quietly');
      });

      for (const [word, branch] of [
        ['busy', 'busy'],
        ['no-answer', 'noAnswer'],
      ] as const) {
        t.test(`${word}: the ${branch} branch`, async (t) => {
          const d = await dialed(s, provider);
          const req = await d.req;
          await s.w.engine.idle();
          t.equal(await caller.statusAt(api.addresses(req.body).status, callIdFor(req), OUR_NUMBER, d.phone, word), 204);
          t.same(tagsOf(s.w, d.personId), [branch]);
          t.same(s.w.engine.journeysOf(d.personId), []);
        });
      }

      t.test('rejected by the network (a failed status): the failed branch', async (t) => {
        const d = await dialed(s, provider);
        const req = await d.req;
        await s.w.engine.idle();
        t.equal(await caller.statusAt(api.addresses(req.body).status, callIdFor(req), OUR_NUMBER, d.phone, 'failed'), 204);
        t.same(tagsOf(s.w, d.personId), ['failed']);
      });

      t.test('the API refuses the call: the failed branch, the refusal logged in its words', async (t) => {
        s.api.next = () => Promise.resolve(api.refusal);
        const d = await dialed(s, provider);
        await d.req;
        await s.w.engine.idle();
        t.same(tagsOf(s.w, d.personId), ['failed']);
        t.same(s.w.engine.journeysOf(d.personId), []);
        const logged = s.w.logs.at(-1)!;
        t.match(logged, { level: 'error', obj: { effect: 'call.place', code: 'JCT_SEND_REJECTED' }, msg: new RegExp(`^${provider} answered ${api.refusal.status}: \\w`) });
      });

      t.test('the answer webhook comes before the API answers', async (t) => {
        let early: Promise<unknown> | undefined;
        s.api.next = async (req) => {
          const { answer } = api.addresses(req.body);
          early = caller.answerAt(answer, callIdFor(req), OUR_NUMBER, '');
          await early;
          return { status: 201, json: api.placed(callIdFor(req)) };
        };
        const d = await dialed(s, provider);
        const req = await d.req;
        await s.w.engine.idle();
        const menu = (await early) as Awaited<ReturnType<Caller['answerAt']>>;
        t.same(menu.said, ['Your delivery is tomorrow. Press 1 to confirm, 2 to change it.'], 'the early answer webhook got the menu');
        const done = await caller.reply(menu, callIdFor(req), OUR_NUMBER, d.phone, { digits: '2' });
        t.same(done, { said: ['An agent will call you.'], hangup: true }, 'the late API answer changed nothing');
        t.same(s.w.engine.journeysOf(d.personId), []);
      });

      t.test('a busy status callback before the API answers', async (t) => {
        s.api.next = async (req) => {
          await caller.statusAt(api.addresses(req.body).status, callIdFor(req), OUR_NUMBER, '', 'busy');
          return { status: 201, json: api.placed(callIdFor(req)) };
        };
        const d = await dialed(s, provider);
        await d.req;
        await s.w.engine.idle();
        t.same(tagsOf(s.w, d.personId), ['busy']);
        t.same(s.w.engine.journeysOf(d.personId), []);
      });
    });
  }
});

t.test('a placed call nobody reports on takes noAnswer after the ring timeout and a grace minute', async (t) => {
  const s = await setup(t);
  const d = await dialed(s, 'twilio');
  await d.req;
  await s.w.engine.idle();
  s.w.clock.advance(20_000 + 59_000);
  await s.w.engine.idle();
  t.equal(s.w.engine.journeysOf(d.personId).length, 1, 'still ringing');
  s.w.clock.advance(2_000);
  await s.w.engine.idle();
  t.same(tagsOf(s.w, d.personId), ['noAnswer']);
});

t.test('an API that stays down past the ring timeout: failed (the call was never placed)', async (t) => {
  const s = await setup(t);
  s.api.always = { status: 503, json: { message: 'Service Unavailable' } };
  const d = await dialed(s, 'twilio');
  await d.req;
  await s.w.engine.idle();
  t.equal(s.w.engine.journeysOf(d.personId).length, 1, 'waiting while the outbox retries');
  s.w.clock.advance(81_000);
  await s.w.engine.idle();
  t.same(tagsOf(s.w, d.personId), ['failed']);
  t.same(s.w.engine.journeysOf(d.personId), []);
});

t.test('a person without a phone: failed at once, nothing placed', async (t) => {
  const s = await setup(t);
  const personId = s.w.engine.personKey({ emails: ['nophone@example.com'] });
  await s.w.engine.submit(personId, { kind: 'person.upsert', person: { id: personId, emails: ['nophone@example.com'] } });
  await s.w.engine.enter('out-twilio', personId);
  await s.w.engine.idle();
  t.same(tagsOf(s.w, personId), ['failed']);
  t.same(s.api.requests, []);
});

const TWILIO_CALLS = { authToken: 't', accountSid: 'AC11111111111111111111111111111111', publicBaseUrl: 'https://ivr.example.com' };

t.test('an Outbound call through a provider that cannot place calls is refused at launch, naming the provider and what is missing', async (t) => {
  const w = world({ modules: [ivrModule, ...VOICE_MODULES], settings: { 'twilio-voice': { authToken: 't' } } });
  t.teardown(() => w.engine.close());
  const problems = w.engine.validate(outboundFlow('twilio'));
  t.match(problems, [{ code: 'JCT_CALL_PROVIDER_UNCONFIGURED', path: '$.elements[0].config.provider', elementId: 'dial', message: /through twilio need the settings "publicBaseUrl", "accountSid" of the module "twilio-voice"/ }]);
  t.equal(problems.length, 1);
  w.engine.save(outboundFlow('twilio'));
  t.throws(() => w.engine.launch('out-twilio'), { code: 'JCT_FLOW_INVALID', message: /twilio/ });
  t.same(w.engine.validate(outboundFlow('plivo')).map((p) => p.code), ['JCT_CALL_PROVIDER_UNCONFIGURED'], 'a provider with no settings at all');
});

t.test('an Outbound call through a provider whose webhooks would be refused (no secret to verify them) is refused at launch', async (t) => {
  const calls = { publicBaseUrl: 'https://ivr.example.com' };
  const w = world({
    modules: [ivrModule, ...VOICE_MODULES],
    settings: {
      'telnyx-voice': { ...calls, ...APIS['telnyx']!.settings },
      'vonage-voice': { ...calls, ...APIS['vonage']!.settings },
      'jambonz-voice': { ...calls, ...APIS['jambonz']!.settings },
    },
  });
  t.teardown(() => w.engine.close());
  t.match(w.engine.validate(outboundFlow('telnyx')), [{ code: 'JCT_CALL_PROVIDER_UNCONFIGURED', message: /through telnyx need the setting "publicKey" of the module "telnyx-voice"/ }]);
  t.match(w.engine.validate(outboundFlow('vonage')), [{ code: 'JCT_CALL_PROVIDER_UNCONFIGURED', message: /through vonage need the setting "signatureSecret" of the module "vonage-voice"/ }]);
  t.match(w.engine.validate(outboundFlow('jambonz')), [{ code: 'JCT_CALL_PROVIDER_UNCONFIGURED', message: /through jambonz need the setting "webhookSecrets" of the module "jambonz-voice"/ }]);
});

t.test('a flow launched before its provider lost the secret that verifies its webhooks: no call is placed, the failed branch', async (t) => {
  const api = new FakeApi();
  await api.start();
  t.teardown(() => api.close());
  const telnyx: Record<string, unknown> = { ...telnyxCaller('').settings, ...APIS['telnyx']!.settings, apiBaseUrl: api.origin, publicBaseUrl: 'https://ivr.example.com' };
  const w = world({ modules: [ivrModule, ...VOICE_MODULES], settings: { 'telnyx-voice': telnyx } });
  t.teardown(() => w.engine.close());
  w.engine.save(outboundFlow('telnyx'));
  w.engine.launch('out-telnyx');
  await w.engine.durable();
  // the process stops; it starts again with the public key removed from the configuration
  const { publicKey: _removed, ...settings } = telnyx;
  const errors: object[] = [];
  const registry = registryWith([ivrModule, ...VOICE_MODULES], { 'telnyx-voice': settings });
  const people = new MemoryPeopleStore(w.clock);
  const engine = new Engine({ clock: w.clock, people, registry, journal: new GroupCommit(w.backend, { flushMs: 0 }), logger: { info: () => {}, warn: () => {}, error: (obj: object) => errors.push(obj) } });
  t.teardown(() => engine.close());
  engine.recover(w.backend);
  const personId = engine.personKey({ phones: ['+14155552001'] });
  await engine.submit(personId, { kind: 'person.upsert', person: { id: personId, phones: ['+14155552001'] } });
  await engine.enter('out-telnyx', personId);
  await engine.idle();
  t.same([...people.get(personId)!.tags], ['failed']);
  t.same(api.requests, [], 'nothing placed');
  t.match(errors, [{ effect: 'call.place', code: 'JCT_PROVIDER_NOT_CONFIGURED' }]);
});

t.test('a flow launched before its provider lost a setting: it starts again with a warning, and its calls fail for good with a clear code', async (t) => {
  const w = world({ modules: [ivrModule, ...VOICE_MODULES], settings: { 'twilio-voice': TWILIO_CALLS } });
  t.teardown(() => w.engine.close());
  w.engine.save(outboundFlow('twilio'));
  w.engine.launch('out-twilio');
  await w.engine.durable();
  // the process stops; it starts again with publicBaseUrl removed from the configuration
  const { publicBaseUrl: _removed, ...settings } = TWILIO_CALLS;
  const logs: Array<{ level: string; obj: object }> = [];
  const log = (level: string) => (obj: object) => logs.push({ level, obj });
  const registry = registryWith([ivrModule, ...VOICE_MODULES], { 'twilio-voice': settings });
  const people = new MemoryPeopleStore(w.clock);
  const engine = new Engine({ clock: w.clock, people, registry, journal: new GroupCommit(w.backend, { flushMs: 0 }), logger: { info: log('info'), warn: log('warn'), error: log('error') } });
  t.teardown(() => engine.close());
  engine.recover(w.backend);
  t.match(logs, [{ level: 'warn', obj: { flowId: 'out-twilio', code: 'JCT_FLOW_OUTDATED', problems: [{ code: 'JCT_CALL_PROVIDER_UNCONFIGURED' }] } }], 'a warning at start');
  const personId = engine.personKey({ phones: ['+14155552000'] });
  await engine.submit(personId, { kind: 'person.upsert', person: { id: personId, phones: ['+14155552000'] } });
  await engine.enter('out-twilio', personId);
  await engine.idle();
  t.same([...people.get(personId)!.tags], ['failed'], 'the flow still runs: the call takes its failure path');
  t.same(engine.journeysOf(personId), []);
  t.match(logs, [{ level: 'warn' }, { level: 'error', obj: { effect: 'call.place', code: 'JCT_PROVIDER_NOT_CONFIGURED' } }]);
  t.notMatch(JSON.stringify(logs), /"authToken"|"t"/, 'no secret logged');
});

t.test('the validator: IVR elements only where a call exists', async (t) => {
  const w = world({ modules: [ivrModule] });
  t.teardown(() => w.engine.close());
  const say = (id: string) => ({ id, type: 'say', config: { text: 'hi' }, branches: { next: 'end' } });
  const flow = (branches: Record<string, string>, config: object = { provider: 'plivo', from: OUR_NUMBER }) => ({
    schemaVersion: 1,
    id: 'v',
    name: 'v',
    entryPoints: [{ id: 'api', type: 'flowApi', config: {}, branches: { next: 'dial' } }],
    elements: [{ id: 'dial', type: 'outboundCall', config, branches }, say('hello'), ...(Object.values(branches).includes('sorry') ? [say('sorry')] : []), { id: 'end', type: 'exit', config: {} }],
  });
  t.same(w.engine.validate(flow({ answered: 'hello', busy: 'end', noAnswer: 'end', failed: 'end' })), [], 'after answered: there is a call');
  t.match(w.engine.validate(flow({ answered: 'hello', busy: 'sorry', noAnswer: 'end', failed: 'end' })), [{ code: 'JCT_IVR_NO_CALL', path: /^\$\.elements\[2\]$/, message: /after a branch of "dial" \(outboundCall\) other than "answered"/ }], 'after busy: none');
  t.match(w.engine.validate(flow({ answered: 'hello', busy: 'hello', noAnswer: 'end', failed: 'end' })), [{ code: 'JCT_IVR_NO_CALL', path: /^\$\.elements\[1\]$/ }], 'reached both ways: refused');
  t.match(w.engine.validate(flow({ answered: 'hello' }, { provider: 'plivo', from: '12' })), [{ code: 'JCT_PHONE_INVALID', path: '$.elements[0].config.from' }]);
  t.ok(w.engine.validate(flow({ answered: 'hello' }, { provider: 'skype', from: OUR_NUMBER })).length > 0, 'an unknown provider is refused');

  const inbound = {
    schemaVersion: 1,
    id: 'i',
    name: 'i',
    entryPoints: [{ id: 'call', type: 'inboundCall', config: { numbers: [OUR_NUMBER] }, branches: { next: 'dial' } }],
    elements: [{ id: 'dial', type: 'outboundCall', config: { provider: 'twilio', from: OUR_NUMBER }, branches: { answered: 'hello', failed: 'sorry' } }, say('hello'), say('sorry'), { id: 'end', type: 'exit', config: {} }],
  };
  const [problem] = w.engine.validate(inbound);
  t.match(problem, { code: 'JCT_IVR_NO_CALL', path: /^\$\.elements\[2\]$/, message: /after a branch of "dial" \(outboundCall\) other than "answered"/ }, 'placing a call ends the inbound one: none after failed');
  t.notMatch(problem?.message, /"call"/, 'the Inbound Call entry, which brings a call, is not blamed');
});

t.test('the providers an Outbound call may name are the voice modules', async (t) => {
  t.same(VOICE_MODULES.map((m) => m.name), VOICE_PROVIDERS.map((p) => `${p}-voice`));
});
