// Email as a mailing list sender, with real SMTP both ways (a nodemailer client delivering to the
// module's listener, the module sending through a real SMTP server standing in for the relay) and
// the gateway in front: mail a flow sends carries one-click unsubscribe headers (RFC 2369, RFC
// 8058) whose link, posted, puts the person on the do-not-contact list for that sender, so the
// next mail is not sent; a forged or malformed link is refused; a mail whose Reply-To names
// another address is answered there, threaded, without the unsubscribe headers.
import t from 'tap';
import type { Test } from 'tap';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import emailModule from '../../channels/email/index.js';
import { readUnsubscribeToken, unsubscribeHeaders, unsubscribeToken } from '../../channels/email/unsubscribe.js';
import type { EmailSettings } from '../../channels/email/settings.js';
import type { SmtpListening } from '../../channels/email/smtp.js';
import { messagingModule } from '../../engine/messaging/index.js';
import { buildApp } from '../../gateway/app.js';
import { flow, world } from '../engine/helpers.js';

const CLUB = 'news@club.test';
const ANA = 'ana@example.org';
const PUBLIC = 'https://junction.example.com';
const SECRET = 'unsubscribe-secret-for-tests-0123456789';
const ADMIN = 'email-lists-test-admin-key-0123456789';
/** Ports of this file (loopback): the relay and the listener. */
const RELAY_PORT = 18231;
const LISTENER_PORT = 18232;

/** A real SMTP server on loopback standing in for the relay: every mail parsed and kept with its envelope recipients. */
async function relay(t: Test, port: number): Promise<Array<{ to: string[]; mail: ParsedMail }>> {
  const received: Array<{ to: string[]; mail: ParsedMail }> = [];
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    closeTimeout: 50,
    onData(stream, session, cb) {
      simpleParser(stream).then((mail) => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
        cb();
      }, cb);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return received;
}

async function until(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  return check();
}

/** An engine with the email module (listener started), the gateway in front, and two flows: a newsletter (Flow API) and an answer to JOIN. */
async function junction(t: Test, over: Record<string, unknown> = {}) {
  const settings = { numbers: [CLUB], domains: ['club.test'], smtpListen: true, smtpPort: LISTENER_PORT, relayHost: '127.0.0.1', relayPort: RELAY_PORT, timeoutMs: 2000, publicBaseUrl: PUBLIC, unsubscribeSecret: SECRET, ...over };
  const w = world({ start: new Date().toISOString(), modules: [messagingModule, emailModule], settings: { email: settings } });
  w.engine.save(flow('news', [{ id: 'letter', type: 'sendEmail', config: { from: CLUB, subject: 'News', text: 'This week' } }]));
  w.engine.launch('news');
  w.engine.save({
    schemaVersion: 1,
    id: 'join',
    name: 'join',
    entryPoints: [{ id: 'in', type: 'inboundMessage', config: { channel: 'email', number: CLUB, condition: { operator: 'matchesText', values: ['JOIN'] } }, branches: { next: 'welcome' } }],
    elements: [{ id: 'welcome', type: 'sendEmail', config: { from: CLUB, subject: 'Welcome', text: 'You are in' } }],
  });
  w.engine.launch('join');
  const listener = emailModule.listeners![0]!;
  const quiet = { info() {}, warn() {}, error() {} };
  const started = (await listener.start({ ...w.engine.routeContext(w.engine.registry.settingsOf(listener)), logger: quiet })) as SmtpListening;
  const app = buildApp(w.engine, { adminKey: ADMIN });
  t.teardown(async () => {
    await app.close();
    await started.close();
    await w.engine.close();
  });
  return { ...w, app };
}

/** A header's value as sent, unfolded; undefined when absent (mailparser gathers List-* headers into one object). */
function headerOf(mail: ParsedMail, key: string): string | undefined {
  const line = mail.headerLines.find((l) => l.key === key)?.line;
  return line?.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, '').trim();
}

function linkOf(mail: ParsedMail): string {
  return /^<(https:[^>]+)>$/.exec(headerOf(mail, 'list-unsubscribe') ?? '')?.[1] ?? '';
}

const ONE_CLICK = { 'content-type': 'application/x-www-form-urlencoded' };

t.test('a newsletter carries one-click unsubscribe; the POST blocks its sender, once, and the next one is not sent', async (t) => {
  const mails = await relay(t, RELAY_PORT);
  const j = await junction(t);
  await j.engine.submit(ANA, { kind: 'flow.enter', flowId: 'news', person: { emails: [ANA] } });
  t.ok(await until(() => mails.length === 1), 'the newsletter reached the relay');
  const { mail } = mails[0]!;
  const link = linkOf(mail);
  t.match(link, /^https:\/\/junction\.example\.com\/unsubscribe\/1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/, 'an https link on the public address');
  t.equal(headerOf(mail, 'list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
  t.same(readUnsubscribeToken(link.slice(`${PUBLIC}/unsubscribe/`.length), SECRET), { contact: ANA, sender: CLUB }, 'it names the contact and the sender');

  const path = link.slice(PUBLIC.length);
  const looked = await j.app.inject({ method: 'GET', url: path });
  t.equal(looked.statusCode, 200, 'opening the link shows a page');
  t.match(looked.headers['content-type'], /^text\/html/);
  t.match(looked.body, /<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">/, 'whose button posts the one click');
  t.equal(j.engine.people.blockOf('email', ANA), undefined, 'a GET unsubscribes nobody (RFC 8058: link scanners open links)');

  const started = Date.now();
  const posted = await j.app.inject({ method: 'POST', url: path, headers: ONE_CLICK, payload: 'List-Unsubscribe=One-Click' });
  t.equal(posted.statusCode, 200);
  t.ok(Date.now() - started < 1000, 'answered at once');
  t.notOk(posted.headers['set-cookie'], 'no cookie');
  t.same(j.engine.people.blockOf('email', ANA), { channel: 'email', contact: ANA, senders: [CLUB] }, 'on the list for email from that sender only, durable when answered');
  const again = await j.app.inject({ method: 'POST', url: path, headers: ONE_CLICK, payload: 'List-Unsubscribe=One-Click' });
  t.equal(again.statusCode, 200, 'a repeat is answered alike');
  t.same([...j.engine.people.doNotContact().after()].map(([, entry]) => entry), [{ channel: 'email', contact: ANA, senders: [CLUB] }], 'and changes nothing');
  t.equal(j.engine.moduleEventCounts.get('email.unsubscribed'), 2, 'each one-click unsubscribe taken is counted');
  const metrics = await j.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN}` } });
  t.match(metrics.body, /^junction_module_events_total\{event="email\.unsubscribed"\} 2$/m, 'in the metrics');

  await j.engine.submit(ANA, { kind: 'flow.enter', flowId: 'news' });
  await j.engine.idle();
  const letter = j.engine.metrics('news').elements.find((e) => e.id === 'letter')!;
  t.equal(letter.failures, 1, 'the next newsletter took notSent (JCT_SEND_BLOCKED)');
  await new Promise((r) => setTimeout(r, 100));
  t.equal(mails.length, 1, 'and reached no relay');
});

t.test('a forged, altered, cut or other-shaped link is refused with its code and blocks nobody; so is a POST without the one click', async (t) => {
  await relay(t, RELAY_PORT);
  const j = await junction(t);
  const good = unsubscribeToken({ contact: ANA, sender: CLUB }, SECRET);
  const [version, payload, signature] = good.split('.') as [string, string, string];
  const otherPayload = Buffer.from(`bo@example.org\n${CLUB}`).toString('base64url');
  const bad = {
    'signed with another secret': unsubscribeToken({ contact: ANA, sender: CLUB }, 'another-secret-of-enough-length-000000'),
    'another contact under this signature': `${version}.${otherPayload}.${signature}`,
    'a signature changed': `${version}.${payload}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`,
    'cut short': good.slice(0, -4),
    'another version': `2.${payload}.${signature}`,
    'no signature': `${version}.${payload}`,
    'garbage': 'hello',
  };
  for (const [what, token] of Object.entries(bad)) {
    const answer = await j.app.inject({ method: 'POST', url: `/unsubscribe/${token}`, headers: ONE_CLICK, payload: 'List-Unsubscribe=One-Click' });
    t.equal(answer.statusCode, 403, what);
    t.equal(answer.json().error.code, 'JCT_UNSUBSCRIBE_TOKEN_INVALID', what);
    t.equal((await j.app.inject({ method: 'GET', url: `/unsubscribe/${token}` })).statusCode, 403, `${what}: the page is refused too`);
  }
  const noClick = await j.app.inject({ method: 'POST', url: `/unsubscribe/${good}`, headers: ONE_CLICK, payload: 'List-Unsubscribe=Maybe' });
  t.equal(noClick.statusCode, 400);
  t.equal(noClick.json().error.code, 'JCT_PAYLOAD_INVALID');
  t.equal(j.engine.people.doNotContact().size, 0, 'nobody was blocked');
  t.equal(j.engine.moduleEventCounts.get('email.unsubscribed'), undefined, 'and nothing counted');
  const multipart = await j.app.inject({
    method: 'POST',
    url: `/unsubscribe/${good}`,
    headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
    payload: '--xyz\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--xyz--\r\n',
  });
  t.equal(multipart.statusCode, 200, 'the one click as multipart/form-data (what RFC 8058 prefers) is taken too');
  t.ok(j.engine.people.isBlocked('email', ANA, CLUB));
});

t.test('a mail with Reply-To is answered there, threaded, without unsubscribe headers', async (t) => {
  const mails = await relay(t, RELAY_PORT);
  const j = await junction(t);
  const ana = createTransport({ host: '127.0.0.1', port: LISTENER_PORT, secure: false, ignoreTLS: true });
  t.teardown(() => ana.close());
  await ana.sendMail({ from: `Ana <${ANA}>`, replyTo: 'Front Desk <Desk@Example.org>', to: CLUB, subject: 'join', text: 'JOIN\n', messageId: '<join-1@example.org>' });
  t.ok(await until(() => mails.length === 1), 'the flow answered through the relay');
  const [answer] = mails;
  t.same(answer!.to, ['desk@example.org'], 'to the Reply-To address, lower-cased');
  t.equal(answer!.mail.inReplyTo, '<join-1@example.org>', 'threaded with the mail it answers');
  t.equal(headerOf(answer!.mail, 'list-unsubscribe'), undefined, 'a reply in the conversation carries no unsubscribe link');
  t.equal(headerOf(answer!.mail, 'list-unsubscribe-post'), undefined);
  const person = j.engine.people.findByContact(ANA);
  t.ok(person, 'the person is the sender');
  t.same(person!.emails, [ANA], 'the Reply-To address is not added to them');
});

t.test('no unsubscribe headers when listUnsubscribe is off or no link can be made; without a secret the links are refused', async (t) => {
  const base = { listUnsubscribe: true, unsubscribeSecret: SECRET, publicBaseUrl: PUBLIC } as EmailSettings;
  const message = { from: CLUB, to: ANA };
  t.same(Object.keys(unsubscribeHeaders(message, base)), ['List-Unsubscribe', 'List-Unsubscribe-Post']);
  t.same(unsubscribeHeaders(message, { ...base, listUnsubscribe: false }), {});
  t.same(unsubscribeHeaders(message, { ...base, unsubscribeSecret: undefined }), {});
  t.same(unsubscribeHeaders(message, { ...base, publicBaseUrl: undefined }), {});
  t.same(unsubscribeHeaders({ ...message, answers: {} }, base), {}, 'nor on a reply to the person');

  const mails = await relay(t, RELAY_PORT);
  const j = await junction(t, { unsubscribeSecret: undefined });
  await j.engine.submit(ANA, { kind: 'flow.enter', flowId: 'news', person: { emails: [ANA] } });
  t.ok(await until(() => mails.length === 1));
  t.equal(headerOf(mails[0]!.mail, 'list-unsubscribe'), undefined, 'sent without the headers');
  const answer = await j.app.inject({ method: 'POST', url: `/unsubscribe/${unsubscribeToken({ contact: ANA, sender: CLUB }, SECRET)}`, headers: ONE_CLICK, payload: 'List-Unsubscribe=One-Click' });
  t.equal(answer.statusCode, 403);
  t.equal(answer.json().error.code, 'JCT_PROVIDER_NOT_CONFIGURED');
});
