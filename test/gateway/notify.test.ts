// notifyUrl of the commercial add-participants request, against real HTTP servers on loopback:
// the report (as GET …/report answers it) is POSTed as JSON once final, without delaying the
// answer and not again for a replay; a 5xx or network error is retried (3 attempts), a 4xx is
// not; failures are logged without the URL's secrets; closing abandons pending calls; a URL that
// is not http or https is refused with 400 JCT_NOTIFY_URL_INVALID and adds nobody; one the address
// guard refuses (link-local, or private when the configuration refuses those) is never called.
import t, { type Test } from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Notifier } from '../../gateway/api/notify.js';
import { flow, pauseDays, world } from '../engine/helpers.js';
import { api } from './api-helper.js';
import { closedPort } from './services.js';

interface Received {
  url: string;
  headers: IncomingMessage['headers'];
  body: any;
}

/** A server on 127.0.0.1 answering each POST with the next status (the last one repeated); what it got. */
async function receiver(t: Test, statuses: number[] = [200]): Promise<{ url: string; got: Received[]; next(): Promise<Received> }> {
  const got: Received[] = [];
  const waiting: Array<(r: Received) => void> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const r = { url: req.url ?? '', headers: req.headers, body: JSON.parse(text) };
      got.push(r);
      res.statusCode = statuses[Math.min(got.length, statuses.length) - 1]!;
      res.end();
      waiting.shift()?.(r);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, next: () => new Promise((resolve) => waiting.push(resolve)) };
}

function logger() {
  const errors: Array<{ obj: object; msg?: string }> = [];
  return { errors, error: (obj: object, msg?: string) => void errors.push({ obj, msg }) };
}

async function promoApi(t: Test) {
  const w = world();
  w.engine.save(flow('promo', [pauseDays('p', 1)]));
  w.engine.launch('promo');
  const a = await api(t, w);
  return { ...a, auth: `App ${a.keys.create('crm', ['flow-api']).key}` };
}

const JANE = { identifyBy: { identifier: '447911123456', type: 'PHONE' } };

t.test('the final report is POSTed to notifyUrl as JSON, once, as GET …/report answers it', async (t) => {
  const { call, auth } = await promoApi(t);
  const hook = await receiver(t);
  const delivered = hook.next();
  const body = { participants: [JANE, { identifyBy: { identifier: 'x', type: 'LINE' } }], notifyUrl: `${hook.url}/hooks/report?token=abc`, callbackData: 'batch-7' };
  const r = await call('POST', '/flows/promo/participants', body, auth, { 'idempotency-key': 'k1' }, '/moments/1');
  t.equal(r.status, 200);
  const posted = await delivered;
  t.equal(posted.url, '/hooks/report?token=abc');
  t.equal(posted.headers['content-type'], 'application/json');
  const report = await call('GET', `/flows/promo/participants/report?operationId=${r.json.operationId}`, undefined, auth, {}, '/moments/1');
  t.same(posted.body, report.json);
  t.match(posted.body, { operationId: r.json.operationId, campaignId: 'promo', callbackData: 'batch-7', participants: [{ status: 'ACCEPTED' }, { status: 'REJECTED' }] });
  const replay = await call('POST', '/flows/promo/participants', body, auth, { 'idempotency-key': 'k1' }, '/moments/1');
  t.equal(replay.headers['idempotent-replayed'], 'true');
  await sleep(100);
  t.equal(hook.got.length, 1, 'a replayed request notifies nobody again');
});

t.test('a notifyUrl that is not http or https is refused and adds nobody', async (t) => {
  const { call, auth, w } = await promoApi(t);
  for (const notifyUrl of ['ftp://example.com/report', 'javascript:alert(1)', 'example.com/report', 'file:///etc/passwd']) {
    const r = await call('POST', '/flows/promo/participants', { participants: [JANE], notifyUrl }, auth, {}, '/moments/1');
    t.equal(r.status, 400, notifyUrl);
    t.match(r.json, { error: { code: 'JCT_NOTIFY_URL_INVALID', message: /http or https/ } });
  }
  t.equal(w.people.findByContact('+447911123456'), undefined);
});

t.test('a 5xx is retried with backoff: 500, 500, 200 makes three attempts and no failure', async (t) => {
  const hook = await receiver(t, [500, 500, 200]);
  const log = logger();
  await new Notifier(log, { backoffMs: 5 }).send(new URL(`${hook.url}/r`), { operationId: 'op-1' });
  t.equal(hook.got.length, 3);
  t.same(hook.got.map((r) => r.body), [{ operationId: 'op-1' }, { operationId: 'op-1' }, { operationId: 'op-1' }]);
  t.same(log.errors, []);
});

t.test('failures: a 4xx is not retried, a network error is, and each is logged without the URL\'s secrets', async (t) => {
  const hook = await receiver(t, [404]);
  const log = logger();
  const notifier = new Notifier(log, { backoffMs: 5 });
  await notifier.send(new URL(`${hook.url}/gone?token=s3cret`), {});
  t.equal(hook.got.length, 1, 'a 4xx is final');
  const port = await closedPort();
  await notifier.send(new URL(`http://user:pa55word@127.0.0.1:${port}/hook?token=s3cret`), {});
  t.match(log.errors, [
    { obj: { notifyUrl: `${hook.url}/gone`, attempts: 1, reason: 'status 404' }, msg: 'notifyUrl call failed' },
    { obj: { notifyUrl: `http://127.0.0.1:${port}/hook`, attempts: 3, reason: 'ECONNREFUSED' } },
  ]);
  t.notMatch(JSON.stringify(log.errors), /s3cret|pa55word|user/);
});

t.test('an answer slower than the timeout is an attempt failed; closing abandons pending calls quietly', async (t) => {
  const silent = createServer(() => undefined); // never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    silent.closeAllConnections();
    silent.close();
  });
  const url = new URL(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/slow`);
  const log = logger();
  await new Notifier(log, { timeoutMs: 50, attempts: 2, backoffMs: 5 }).send(url, {});
  t.match(log.errors, [{ obj: { attempts: 2, reason: 'TimeoutError' } }]);
  const closing = new Notifier(log, { timeoutMs: 60_000 });
  const pending = closing.send(url, {});
  const started = Date.now();
  await closing.close();
  await pending;
  t.ok(Date.now() - started < 1000, 'close does not wait for the answer');
  t.equal(log.errors.length, 1, 'an abandoned call is not a failure');
});

t.test('a notifyUrl whose address is link-local (cloud metadata) is never called, nor retried', async (t) => {
  const log = logger();
  await new Notifier(log, { backoffMs: 5 }).send(new URL('http://169.254.169.254/latest/meta-data/iam'), {});
  t.match(log.errors, [{ obj: { notifyUrl: 'http://169.254.169.254/latest/meta-data/iam', attempts: 1, reason: /^address 169\.254\.169\.254 is link-local/ } }]);
});

t.test('with httpPrivateAddresses refuse, a notifyUrl on a loopback address is not called either', async (t) => {
  const w = world({ settings: { core: { httpPrivateAddresses: 'refuse' } } });
  w.engine.save(flow('promo', [pauseDays('p', 1)]));
  w.engine.launch('promo');
  const log = logger();
  const { call, keys } = await api(t, w, { logger: log });
  const hook = await receiver(t);
  const r = await call('POST', '/flows/promo/participants', { participants: [JANE], notifyUrl: `${hook.url}/report` }, `App ${keys.create('crm', ['flow-api']).key}`, {}, '/moments/1');
  t.equal(r.status, 200, 'the request is taken');
  for (let i = 0; i < 100 && log.errors.length === 0; i++) await sleep(10);
  t.match(log.errors, [{ obj: { notifyUrl: `${hook.url}/report`, attempts: 1, reason: /^address 127\.0\.0\.1 is a loopback or private address/ } }], 'the call fails at once, not retried');
  t.equal(hook.got.length, 0, 'the receiver was never called');
});
