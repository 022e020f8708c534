// The email module: real SMTP in (a nodemailer client delivering to the real listener on
// loopback, a real engine behind it), real SMTP out (nodemailer to a real smtp-server on
// loopback), and the SendGrid and Mailgun webhooks through the shared harness.
import t from 'tap';
import type { Test } from 'tap';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:net';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { Value } from '@sinclair/typebox/value';
import { createTransport } from 'nodemailer';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser } from 'mailparser';
import emailModule from '../../channels/email/index.js';
import { mailgun, RecentTokens } from '../../channels/email/mailgun.js';
import { messageIdOf } from '../../channels/email/send.js';
import { messagesOf, referencesOf } from '../../channels/email/inbound.js';
import type { SmtpListening } from '../../channels/email/smtp.js';
import { messagingModule } from '../../engine/messaging/index.js';
import { Registry, type Settings } from '../../engine/module.js';
import type { Effect, Input, PersonInput } from '../../engine/vocabulary.js';
import type { InboundMessage } from '../../engine/messaging/message.js';
import { world } from '../engine/helpers.js';
import { runIncoming, type IncomingCase } from './harness.js';

/** The module's settings with its defaults, as the configuration loader gives them. */
function settingsWith(over: Record<string, unknown>): Settings {
  return Value.Default(emailModule.config!.schema, Value.Clone(over)) as Settings;
}

const OURS = { domains: ['ours.test', 'vip@partner.test'] };

// ---------------------------------------------------------------------------------------------
// Inbound SMTP

interface Listening {
  port: number;
  inbound: InboundMessage[];
}

/** The real listener on 127.0.0.1, port 0, in front of a real engine; `submit` may wrap the engine's. */
async function listening(t: Test, over: Record<string, unknown> = {}, wrap?: (submit: (k: string, i: Input) => Promise<unknown>) => (k: string, i: Input) => Promise<unknown>): Promise<Listening> {
  const settings = settingsWith({ ...OURS, smtpListen: true, smtpPort: 0, ...over });
  const { engine } = world({ modules: [messagingModule, emailModule], settings: { email: settings } });
  const inbound: InboundMessage[] = [];
  const real = engine.submit.bind(engine);
  const recorded = (key: string, input: Input) => {
    if (input.kind === 'message.inbound') inbound.push(input.message);
    return real(key, input);
  };
  const submit = wrap ? wrap(recorded) : recorded;
  const listener = emailModule.listeners![0]!;
  const quiet = { info() {}, warn() {}, error() {} };
  const submitFor = (person: PersonInput, input: Input) => submit(engine.personKey(person), input);
  const started = (await listener.start({ ...engine.routeContext(engine.registry.settingsOf(listener)), submit: submit as never, submitFor: submitFor as never, logger: quiet })) as SmtpListening;
  t.teardown(async () => {
    await started.close();
    await engine.close();
  });
  return { port: started.port, inbound };
}

/** The SMTP reply code a refused delivery got. */
async function refusal(sending: Promise<unknown>): Promise<number | undefined> {
  return sending.then(
    () => undefined,
    (err: { responseCode?: number }) => err.responseCode,
  );
}

/** Speaks SMTP line by line: the server's reply (all its lines) to the greeting and to each command. */
async function dialog(port: number, commands: readonly string[]): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  const replies: string[] = [];
  let buffer = '';
  const pending = [...commands];
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      // A reply ends with a line "NNN text" (no dash after the code).
      const end = /(^|\r\n)\d{3} [^\r\n]*\r\n$/.exec(buffer);
      if (!end) return;
      replies.push(buffer);
      buffer = '';
      const next = pending.shift();
      if (next === undefined) return resolve();
      socket.write(`${next}\r\n`);
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
  socket.destroy();
  return replies;
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function client(port: number, auth?: { user: string; pass: string }) {
  return createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, ...(auth ? { auth } : {}) });
}

t.test('a flow reads at most the first 65,536 characters of a mail: a 10 MB text is not carried into its variables', async (t) => {
  const mail = { from: 'ana@example.com', recipients: ['club@example.com'], subject: undefined, text: `Yes\n${'x'.repeat(10_000_000)}`, messageId: '<m1@example.com>', receivedAt: 0, automatic: false };
  const [message] = messagesOf(mail);
  t.equal(message!.text.length, 65_536);
  t.ok(message!.text.startsWith('Yes\n'));
  const [long] = messagesOf({ ...mail, subject: `Order ${'x'.repeat(1_000_000)}` });
  t.equal(long!.subject!.length, 4096, 'nor a megabyte of subject (a folded header has no length limit)');
});

t.test("a References header of any length is kept to its first and latest 100 well-formed Message-IDs", async (t) => {
  const ids = Array.from({ length: 5000 }, (_, i) => `<m${i}@example.org>`);
  const kept = referencesOf([`<${'x'.repeat(100_000)}@example.org>`, ...ids, '<m7@example.org>', '<no-domain>']);
  t.same(kept, [ids[0], ...ids.slice(-99)]);
  t.same(referencesOf(undefined, '<o-1@ours.test>'), ['<o-1@ours.test>'], 'without References, In-Reply-To');
});

t.test('inbound SMTP', async (t) => {
  t.test('a STARTTLS file that is missing or not PEM stops the listener, named', async (t) => {
    const dir = t.testdir({ 'bad.pem': 'not a key' });
    await t.rejects(listening(t, { tlsKeyFile: `${dir}/missing.pem`, tlsCertFile: `${dir}/bad.pem` }), {
      code: 'JCT_FILE_UNREADABLE',
      message: `cannot read ${dir}/missing.pem (JUNCTION_EMAIL_TLS_KEY_FILE): no such file`,
    });
    await t.rejects(listening(t, { tlsKeyFile: `${dir}/bad.pem`, tlsCertFile: `${dir}/bad.pem` }), {
      code: 'JCT_TLS_INVALID',
      message: `${dir}/bad.pem and ${dir}/bad.pem (tlsKeyFile, tlsCertFile) are not a PEM private key and its certificate: `,
    });
  });

  t.test('half of the AUTH or STARTTLS pair stops the listener rather than leave it off', async (t) => {
    await t.rejects(listening(t, { smtpUser: 'relay' }), {
      code: 'JCT_CONFIG_INVALID',
      message: 'smtpUser is set but smtpPassword is not (JUNCTION_EMAIL_SMTP_PASSWORD): set both, or neither',
    });
    await t.rejects(listening(t, { smtpPassword: 'relay-password-1' }), { code: 'JCT_CONFIG_INVALID', message: /^smtpPassword is set but smtpUser is not/ });
    await t.rejects(listening(t, { tlsCertFile: '/nowhere/cert.pem' }), {
      code: 'JCT_CONFIG_INVALID',
      message: 'tlsCertFile is set but tlsKeyFile is not (JUNCTION_EMAIL_TLS_KEY_FILE): set both, or neither',
    });
  });

  t.test('a port in use stops the listener with its code, naming the setting to change', async (t) => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    t.teardown(() => taken.close());
    const { port } = taken.address() as AddressInfo;
    await t.rejects(listening(t, { smtpPort: port }), {
      code: 'JCT_PORT_IN_USE',
      message: `127.0.0.1:${port} is in use (another Junction?): stop it or choose another port with JUNCTION_EMAIL_SMTP_PORT`,
    });
  });

  t.test('a mail to two of our addresses becomes two inbound messages, answered once durable', async (t) => {
    const l = await listening(t);
    const info = await client(l.port).sendMail({
      from: 'Ana Horvat <Ana.Horvat@Example.org>',
      to: 'help@ours.test',
      cc: 'VIP@partner.test',
      subject: 'Order 42',
      text: 'Where is my order?\n',
      html: '<p>Where is <b>my</b> order?</p>',
      messageId: '<order-42@example.org>',
    });
    t.same(info.accepted, ['help@ours.test', 'VIP@partner.test']);
    t.match(l.inbound, [
      { channel: 'email', provider: 'email', from: 'ana.horvat@example.org', to: 'help@ours.test', subject: 'Order 42', text: 'Where is my order?', media: [], providerMessageId: '<order-42@example.org>' },
      { from: 'ana.horvat@example.org', to: 'vip@partner.test', providerMessageId: '<order-42@example.org>' },
    ]);
    t.equal(l.inbound.length, 2);
    t.type(l.inbound[0]!.receivedAt, 'number');
  });

  t.test("a reply's thread is kept: its References, else its In-Reply-To; a first mail has none", async (t) => {
    const l = await listening(t);
    const mail = { from: 'ana@example.org', to: 'help@ours.test', subject: 'Re: Order 42', text: 'Thanks' };
    await client(l.port).sendMail({ ...mail, messageId: '<r-2@example.org>', inReplyTo: '<o-1@ours.test>', references: ['<q-0@example.org>', '<o-1@ours.test>'] });
    await client(l.port).sendMail({ ...mail, messageId: '<r-3@example.org>', inReplyTo: '<o-2@ours.test>' });
    await client(l.port).sendMail({ ...mail, messageId: '<r-4@example.org>' });
    t.same(
      l.inbound.map((m) => m.references),
      [['<q-0@example.org>', '<o-1@ours.test>'], ['<o-2@ours.test>'], undefined],
    );
  });

  t.test('an HTML-only mail gives its text', async (t) => {
    const l = await listening(t);
    await client(l.port).sendMail({ from: 'bo@example.org', to: 'help@ours.test', subject: 'Hi', html: '<h1>Hello</h1><p>from <i>Bo</i></p>' });
    t.match(l.inbound[0]!.text, /HELLO[\s\S]*from Bo/);
  });

  t.test('a mail sent automatically (Auto-Submitted: an out-of-office reply, a bounce) is taken and given to no flow', async (t) => {
    const l = await listening(t);
    const ooo = await client(l.port).sendMail({ from: 'ana@example.org', to: 'help@ours.test', subject: 'Out of office', text: 'Back on Monday', headers: { 'Auto-Submitted': 'auto-replied' } });
    t.match(ooo.response, /^250/);
    await client(l.port).sendMail({ from: 'ana@example.org', to: 'help@ours.test', subject: 'Re', text: 'Yes', headers: { 'Auto-Submitted': 'no' } });
    t.same(l.inbound.map((m) => m.text), ['Yes']);
  });

  t.test('a bounce (null envelope sender) and mail marked bulk, list or auto-reply the older ways are given to no flow either', async (t) => {
    const l = await listening(t);
    const bounce = await client(l.port).sendMail({
      envelope: { from: '', to: ['help@ours.test'] },
      from: 'Mail Delivery System <MAILER-DAEMON@mx.example.org>',
      to: 'help@ours.test',
      subject: 'Undelivered Mail Returned to Sender',
      text: 'This is the mail system. I am sorry to have to inform you that your message could not be delivered.',
    });
    t.match(bounce.response, /^250/, 'taken');
    const mail = { from: 'ana@example.org', to: 'help@ours.test', subject: 'Hi', text: 'Away' };
    await client(l.port).sendMail({ ...mail, headers: { Precedence: 'bulk' } });
    await client(l.port).sendMail({ ...mail, headers: { Precedence: 'List' } });
    await client(l.port).sendMail({ ...mail, headers: { 'X-Autoreply': 'yes' } });
    await client(l.port).sendMail({ ...mail, headers: { 'X-Autorespond': 'Out of office' } });
    await client(l.port).sendMail({ ...mail, text: 'Yes', headers: { Precedence: 'first-class' } });
    t.same(l.inbound.map((m) => m.text), ['Yes'], 'only the mail a person wrote');
  });

  t.test('a blank plain-text part gives way to the HTML part, as on the webhooks', async (t) => {
    const l = await listening(t);
    await client(l.port).sendMail({ from: 'bo@example.org', to: 'help@ours.test', subject: 'Stop', text: '\r\n', html: '<div>STOP</div>' });
    t.same(l.inbound.map((m) => m.text), ['STOP']);
  });

  t.test("a reply's text is what it says anew, without the quoted history (which would match keywords it only quotes)", async (t) => {
    const l = await listening(t);
    const history = '\r\n\r\nOn Sat, Dec 5, 2026 at 9:00 AM Help Desk <\r\nhelp@ours.test> wrote:\r\n\r\n> Reply YES or NO\r\n>\r\n> Thanks\r\n';
    await client(l.port).sendMail({ from: 'ana@example.org', to: 'help@ours.test', subject: 'Re: confirm', text: `No, sorry${history}` });
    await client(l.port).sendMail({ from: 'ana@example.org', to: 'help@ours.test', subject: 'RE: confirm', text: 'Yes\r\n\r\n-----Original Message-----\r\nFrom: Help Desk\r\n\r\nReply YES or NO' });
    const inline = 'Answers:\n> Size?\nM\n> Colour?\nBlue';
    await client(l.port).sendMail({ from: 'ana@example.org', to: 'help@ours.test', subject: 'Re: order', text: inline });
    await client(l.port).sendMail({ from: 'ana@example.org', to: 'help@ours.test', subject: 'Fwd', text: '> only quoted' });
    t.same(
      l.inbound.map((m) => m.text),
      ['No, sorry', 'Yes', inline, '> only quoted'],
    );
  });

  t.test("Outlook's header block, an attribution in another language, a signature and a phone's \"Sent from my …\" are not what the reply says", async (t) => {
    const l = await listening(t);
    const send = (text: string | undefined, html?: string) => client(l.port).sendMail({ from: 'ana@example.org', to: 'help@ours.test', subject: 'Re: confirm', ...(text === undefined ? {} : { text }), ...(html === undefined ? {} : { html }) });
    await send('Yes\r\n\r\n________________________________\r\nFrom: Help Desk <help@ours.test>\r\nSent: Saturday, December 5, 2026 9:00 AM\r\n\r\nReply YES or NO');
    await send(undefined, '<div>No</div><hr><div id="divRplyFwdMsg"><b>Von:</b> Help Desk<br><b>Gesendet:</b> Samstag, 5. Dezember 2026 09:00</div><div>Reply YES or NO</div>');
    await send('Oui\r\n\r\nLe sam. 5 déc. 2026 à 09:00, Help Desk <help@ours.test> a écrit :\r\n\r\n> Reply YES or NO\r\n');
    await send('Merci\r\n\r\nLe sam. 5 déc. 2026 à 09:00, Help Desk <\r\nhelp@ours.test> a écrit :\r\n> Reply YES or NO\r\n');
    await send('Yes\r\n\r\n-- \r\nAna Horvat\r\nSent from my phone');
    await send('Yes\r\n\r\nOn Sat, Dec 5, 2026 Help Desk wrote:\r\n> Reply YES or NO\r\n\r\n--\r\nAna');
    await send('Yes\r\n\r\nSent from my iPhone\r\n\r\nOn Sat, Dec 5, 2026 Help Desk wrote:\r\n> Reply YES or NO\r\n');
    await send('Ja\r\n\r\nVon meinem iPhone gesendet');
    const heading = 'Order\r\n----------\r\nSize: M';
    await send(heading);
    t.same(
      l.inbound.map((m) => m.text),
      ['Yes', 'No', 'Oui', 'Merci', 'Yes', 'Yes', 'Yes', 'Ja', heading.replace(/\r\n/g, '\n')],
    );
  });

  t.test('a mail without Message-ID gets a hash of its bytes; without From, the envelope sender', async (t) => {
    const l = await listening(t);
    const raw = 'To: help@ours.test\r\nSubject: bare\r\n\r\nhello\r\n';
    await client(l.port).sendMail({ envelope: { from: 'Cy@Example.org', to: ['help@ours.test'] }, raw });
    t.match(l.inbound, [{ from: 'cy@example.org', to: 'help@ours.test', text: 'hello', providerMessageId: /^sha256:[0-9a-f]{64}$/ }]);
  });

  t.test('a recipient outside our domains is refused at RCPT TO with 550; the others still get it', async (t) => {
    const l = await listening(t);
    t.equal(await refusal(client(l.port).sendMail({ from: 'ana@example.org', to: 'someone@elsewhere.test', text: 'x' })), 550);
    const info = await client(l.port).sendMail({ from: 'ana@example.org', to: ['help@ours.test', 'other@partner.test'], text: 'x' });
    t.same(info.rejected, ['other@partner.test']);
    t.same(l.inbound.map((m) => m.to), ['help@ours.test']);
  });

  t.test('a mail over maxMessageBytes is refused with 552 and nothing is submitted', async (t) => {
    const l = await listening(t, { maxMessageBytes: 2048 });
    t.equal(await refusal(client(l.port).sendMail({ from: 'ana@example.org', to: 'help@ours.test', text: 'x'.repeat(10_000) })), 552);
    t.equal(l.inbound.length, 0);
  });

  t.test('a mail announcing a SIZE over the limit is refused at MAIL FROM with 552', async (t) => {
    const l = await listening(t, { maxMessageBytes: 2048 });
    const replies = await dialog(l.port, ['EHLO client.test', 'MAIL FROM:<ana@example.org> SIZE=4096', 'QUIT']);
    t.match(replies[1], /SIZE 2048/, 'the limit is advertised');
    t.match(replies[2], /^552 /);
  });

  t.test('a submit that fails is answered 451, so the sending server retries', async (t) => {
    const l = await listening(t, {}, () => () => Promise.reject(new Error('journal unavailable')));
    t.equal(await refusal(client(l.port).sendMail({ from: 'ana@example.org', to: 'help@ours.test', text: 'x' })), 451);
  });

  t.test('250 is not answered before the submit is durable', async (t) => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const l = await listening(t, {}, (submit) => async (k, i) => {
      await held;
      return submit(k, i);
    });
    let answered = false;
    const sending = client(l.port)
      .sendMail({ from: 'ana@example.org', to: 'help@ours.test', text: 'x' })
      .then(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    t.notOk(answered, 'not answered while the submit is pending');
    release();
    await sending;
    t.equal(l.inbound.length, 1);
  });

  t.test('with smtpUser/smtpPassword, AUTH is required', async (t) => {
    const l = await listening(t, { smtpUser: 'relay', smtpPassword: 'relay-password-1' });
    t.equal(await refusal(client(l.port).sendMail({ from: 'ana@example.org', to: 'help@ours.test', text: 'x' })), 530);
    t.equal(await refusal(client(l.port, { user: 'relay', pass: 'wrong-password' }).sendMail({ from: 'ana@example.org', to: 'help@ours.test', text: 'x' })), 535);
    await client(l.port, { user: 'relay', pass: 'relay-password-1' }).sendMail({ from: 'ana@example.org', to: 'help@ours.test', text: 'x' });
    t.equal(l.inbound.length, 1);
  });

  t.test('with tlsKeyFile/tlsCertFile, STARTTLS is offered and AUTH needs it', { skip: hasOpenssl() ? false : 'no openssl to make a certificate' }, async (t) => {
    const dir = t.testdir({});
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const l = await listening(t, { smtpUser: 'relay', smtpPassword: 'relay-password-1', tlsKeyFile: `${dir}/key.pem`, tlsCertFile: `${dir}/cert.pem` });
    const auth = { user: 'relay', pass: 'relay-password-1' };
    t.equal(await refusal(client(l.port, auth).sendMail({ from: 'ana@example.org', to: 'help@ours.test', text: 'x' })), 538, 'no AUTH in clear');
    const tls = createTransport({ host: '127.0.0.1', port: l.port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth });
    await tls.sendMail({ from: 'ana@example.org', to: 'help@ours.test', text: 'over TLS' });
    t.match(l.inbound, [{ text: 'over TLS' }]);
  });

  t.test('smtpListen false (the default): nothing listens', async (t) => {
    const listener = emailModule.listeners![0]!;
    const started = await listener.start({ submit: () => Promise.reject(new Error('unused')), submitFor: () => Promise.reject(new Error('unused')), owner: async () => undefined, reference: async () => undefined, now: () => 0, refused: () => {}, counted: () => {}, settings: settingsWith({}), logger: { info() {}, warn() {}, error() {} } });
    t.notOk('port' in started);
    await started.close();
  });
});

// ---------------------------------------------------------------------------------------------
// Outbound SMTP

interface Relay {
  port: number;
  received: Array<{ raw: Buffer; from: string; to: string[]; user?: string }>;
}

/** A real SMTP server on loopback standing in for the relay. */
async function relay(t: Test, handlers: Pick<SMTPServerOptions, 'onRcptTo' | 'onData' | 'onAuth'> = {}): Promise<Relay> {
  const received: Relay['received'] = [];
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    closeTimeout: 50,
    onAuth: (auth, _s, cb) => cb(null, { user: auth.username }),
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          raw: Buffer.concat(chunks),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
        });
        cb();
      });
    },
    ...handlers,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.server.address() as AddressInfo).port, received };
}

function send(port: number, message: Record<string, unknown>, over: Record<string, unknown> = {}): Promise<unknown> {
  const registry = new Registry([messagingModule, emailModule], { email: settingsWith({ relayHost: '127.0.0.1', relayPort: port, numbers: ['news@ours.test'], timeoutMs: 2000, ...over }) });
  const effect = { kind: 'message.send', key: 'p1.1:2:0', personId: 'ana', channel: 'email', from: 'news@ours.test', to: 'ana@example.org', ...message } as unknown as Effect;
  const handler = registry.handler(effect);
  if (!handler) throw new Error('the email module does not accept this message');
  return Promise.resolve(handler.perform(effect, { people: undefined as never, now: () => Date.now(), settings: registry.settingsOf(handler) }));
}

t.test('outbound SMTP', async (t) => {
  t.test('a message reaches the relay with its headers, parts and idempotency key', async (t) => {
    const r = await relay(t);
    const result = await send(r.port, { subject: 'Welcome', text: 'Hello Ana', html: '<p>Hello <b>Ana</b></p>', replyTo: 'help@ours.test' }, { relayUser: 'junction', relayPassword: 'relay-pass' });
    const messageId = `<${Buffer.from('p1.1:2:0').toString('base64url')}@ours.test>`;
    t.match(result, { providerMessageId: messageId, parts: 1 });
    t.equal(messageIdOf({ from: 'news@ours.test', idempotencyKey: 'p1.1:2:0' }), messageId);
    const [got] = r.received;
    t.same([got!.from, got!.to, got!.user], ['news@ours.test', ['ana@example.org'], 'junction']);
    const mail = await simpleParser(got!.raw);
    t.equal(mail.messageId, messageId);
    t.equal(mail.headers.get('x-junction-idempotency-key'), 'p1.1:2:0');
    t.equal(mail.subject, 'Welcome');
    t.equal(mail.text?.trim(), 'Hello Ana');
    t.equal(mail.html, '<p>Hello <b>Ana</b></p>');
    t.equal(mail.replyTo?.value[0]?.address, 'help@ours.test');
    t.equal(mail.from?.value[0]?.address, 'news@ours.test');
    t.equal(mail.from?.value[0]?.name, '', 'no display name unless given');
    t.equal(mail.headers.get('auto-submitted'), 'auto-generated', 'a mail that answers nobody is still automatic (RFC 3834)');
    t.equal(mail.inReplyTo, undefined);
    t.equal(mail.references, undefined);
  });

  t.test('a mail that answers one threads with it and is an automatic reply; fromName is shown beside from, encoded', async (t) => {
    const r = await relay(t);
    const answers = { inReplyTo: '<r-2@example.org>', references: ['<q-0@example.org>', '<o-1@ours.test>', '<r-2@example.org>'] };
    await send(r.port, { subject: 'Re: Order 42', text: 'On its way', fromName: 'Club Šupport "Desk"', answers });
    await send(r.port, { subject: 'Re: Order 42', text: 'On its way', answers: {} }, {});
    const [threaded, unthreaded] = await Promise.all(r.received.map((got) => simpleParser(got.raw)));
    t.equal(threaded!.inReplyTo, '<r-2@example.org>');
    t.same(threaded!.references, answers.references);
    t.equal(threaded!.headers.get('auto-submitted'), 'auto-replied');
    t.same(threaded!.from?.value, [{ address: 'news@ours.test', name: 'Club Šupport "Desk"' }], 'the name survives encoding, quotes and all');
    t.match(threaded!.headerLines.find((l) => l.key === 'from')?.line, /^From: =\?UTF-8\?/, 'sent MIME-encoded');
    t.equal(unthreaded!.headers.get('auto-submitted'), 'auto-replied', 'an answer to a mail without Message-ID is an automatic reply too');
    t.equal(unthreaded!.inReplyTo, undefined);
  });

  t.test('a retried send carries the same Message-ID; the same key in another store (keys start over) does not', async (t) => {
    const r = await relay(t);
    await send(r.port, { text: 'once', deadline: 1_796_450_000_000 });
    await send(r.port, { text: 'once', deadline: 1_796_450_000_000 });
    await send(r.port, { text: 'once', deadline: 1_796_460_000_000 });
    const ids = await Promise.all(r.received.map(async (m) => (await simpleParser(m.raw)).messageId));
    t.equal(ids[0], ids[1]);
    t.equal(ids[0], `<${Buffer.from(`p1.1:2:0.${(1_796_450_000_000).toString(36)}`).toString('base64url')}@ours.test>`);
    t.not(ids[2], ids[0], 'a send emitted at another moment under the same key');
  });

  t.test('a 5xx from the relay fails for good', async (t) => {
    const r = await relay(t, { onRcptTo: (_a, _s, cb) => cb(Object.assign(new Error('no such user'), { responseCode: 550 })) });
    await t.rejects(send(r.port, { text: 'x' }), { code: 'JCT_SEND_REJECTED', retryable: false, message: /550/ });
  });

  t.test('a 4xx from the relay is retryable', async (t) => {
    const r = await relay(t, { onData: (stream, _s, cb) => stream.on('end', () => cb(Object.assign(new Error('greylisted'), { responseCode: 451 }))).resume() });
    await t.rejects(send(r.port, { text: 'x' }), { code: 'JCT_SEND_UNAVAILABLE', retryable: true, message: /451/ });
  });

  t.test('a relay that cannot be reached is retryable', async (t) => {
    const port = await closedPort();
    await t.rejects(send(port, { text: 'x' }), { code: 'JCT_SEND_UNREACHABLE', retryable: true });
  });

  t.test('no relayHost: the send fails for good', async (t) => {
    await t.rejects(send(1, { text: 'x' }, { relayHost: undefined }), { code: 'JCT_PROVIDER_NOT_CONFIGURED', retryable: false });
  });

  t.test('relayUser without relayPassword, or the other way round: the send fails for good, naming the one missing', async (t) => {
    const r = await relay(t);
    await t.rejects(send(r.port, { text: 'x' }, { relayUser: 'junction' }), { code: 'JCT_PROVIDER_NOT_CONFIGURED', retryable: false, message: /"relayPassword"/ });
    await t.rejects(send(r.port, { text: 'x' }, { relayPassword: 'relay-pass' }), { code: 'JCT_PROVIDER_NOT_CONFIGURED', retryable: false, message: /"relayUser"/ });
    t.equal(r.received.length, 0);
  });

  t.test('only senders listed in numbers are ours', async (t) => {
    const registry = new Registry([emailModule], { email: settingsWith({ numbers: ['news@ours.test'] }) });
    t.ok(registry.handler({ kind: 'message.send', key: 'k', personId: 'p', channel: 'email', from: 'news@ours.test' } as never));
    t.notOk(registry.handler({ kind: 'message.send', key: 'k', personId: 'p', channel: 'email', from: 'other@ours.test' } as never));
    t.notOk(registry.handler({ kind: 'message.send', key: 'k', personId: 'p', channel: 'sms', from: 'news@ours.test' } as never));
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------------------------------------
// Webhooks

/** A multipart/form-data body, as a browser or provider builds it. */
export async function multipart(fields: Record<string, string>, files: Record<string, string> = {}): Promise<{ body: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) form.append(k, v);
  for (const [k, v] of Object.entries(files)) form.append(k, new Blob([v], { type: 'image/png' }), `${k}.png`);
  const res = new Response(form);
  return { body: Buffer.from(await res.arrayBuffer()), headers: { 'content-type': res.headers.get('content-type')! } };
}

const SENDGRID_KEY = 'sendgrid-url-secret-0123456789';
const MAILGUN_KEY = 'mailgun-signing-key-0123';

const headersBlock = 'Received: by mx.sendgrid.net\r\nMessage-ID: <sg-1@example.org>\r\nFrom: Ana <ana@example.org>\r\nSubject: Order 42';
const threadHeaders = 'In-Reply-To: <o-1@ours.test>\r\nReferences: <q-0@example.org>\r\n <o-1@ours.test>';
const sendgridFields = {
  from: 'Ana Horvat <Ana@Example.org>',
  to: 'help@ours.test',
  subject: 'Order 42',
  text: 'Where is my order?\n',
  html: '<p>Where is my order?</p>',
  headers: headersBlock,
  envelope: JSON.stringify({ to: ['help@ours.test'], from: 'bounce@example.org' }),
  sender_ip: '192.0.2.1',
  spam_score: '0.1',
};

t.test('SendGrid Inbound Parse', async (t) => {
  const url = `/webhooks/email/sendgrid?key=${SENDGRID_KEY}`;
  const cases: IncomingCase[] = [
    {
      label: 'a parsed mail becomes an inbound message; its Message-ID comes from the header block',
      url,
      ...(await multipart(sendgridFields, { attachment1: 'PNG' })),
      status: 200,
      messages: [{ channel: 'email', provider: 'email', from: 'ana@example.org', to: 'help@ours.test', subject: 'Order 42', text: 'Where is my order?', media: [], providerMessageId: '<sg-1@example.org>' }],
    },
    {
      label: "a reply's References are read from the header block",
      url,
      ...(await multipart({ ...sendgridFields, headers: `${headersBlock}\r\n${threadHeaders}` })),
      status: 200,
      messages: [{ providerMessageId: '<sg-1@example.org>', references: ['<q-0@example.org>', '<o-1@ours.test>'] }],
    },
    {
      label: 'the envelope names the recipients: each of ours gets a message, others are left out',
      url,
      ...(await multipart({ ...sendgridFields, envelope: JSON.stringify({ to: ['help@ours.test', 'sales@ours.test', 'x@elsewhere.test'] }) })),
      status: 200,
      messages: [{ to: 'help@ours.test' }, { to: 'sales@ours.test' }],
    },
    {
      label: 'without an envelope, the To field',
      url,
      ...(await multipart({ ...sendgridFields, envelope: undefined as never, to: 'Help <help@ours.test>, Vip <vip@partner.test>' })),
      status: 200,
      messages: [{ to: 'help@ours.test' }, { to: 'vip@partner.test' }],
    },
    {
      label: 'an HTML-only mail gives its text',
      url,
      ...(await multipart({ ...sendgridFields, text: '', html: '<p>Where is <b>my</b> order?</p>' })),
      status: 200,
      messages: [{ text: 'Where is my order?' }],
    },
    {
      label: 'an automatic mail (Auto-Submitted in the header block): 200, and no message',
      url,
      ...(await multipart({ ...sendgridFields, headers: `${headersBlock}\r\nAuto-Submitted: auto-replied` })),
      status: 200,
      messages: [],
    },
    {
      label: 'no Message-ID in the headers: a hash of the header block',
      url,
      ...(await multipart({ ...sendgridFields, headers: 'Received: by mx.sendgrid.net\r\nSubject: x' })),
      status: 200,
      messages: [{ providerMessageId: /^sha256:/ }] as never,
    },
    {
      label: 'raw mode: the whole MIME message in `email`',
      url,
      ...(await multipart({ email: 'From: Bo <bo@example.org>\r\nTo: help@ours.test\r\nSubject: raw\r\nMessage-ID: <raw-1@example.org>\r\n\r\nhello raw\r\n', envelope: JSON.stringify({ to: ['help@ours.test'], from: 'bo@example.org' }) })),
      status: 200,
      messages: [{ from: 'bo@example.org', to: 'help@ours.test', subject: 'raw', text: 'hello raw', providerMessageId: '<raw-1@example.org>' }],
    },
    { label: 'no recipient of ours: 400', url, ...(await multipart({ ...sendgridFields, envelope: JSON.stringify({ to: ['x@elsewhere.test'] }) })), status: 400, code: 'JCT_EMAIL_RECIPIENT_UNKNOWN' },
    { label: 'no key in the URL: 401', url: '/webhooks/email/sendgrid', ...(await multipart(sendgridFields)), status: 401, code: 'JCT_SIGNATURE_MISSING' },
    { label: 'a wrong key: 403', url: '/webhooks/email/sendgrid?key=sendgrid-url-secret-0123456780', ...(await multipart(sendgridFields)), status: 403, code: 'JCT_SIGNATURE_INVALID' },
    { label: 'a wrong key is refused before the body is read: 403, not the 400 of a broken body', url: '/webhooks/email/sendgrid?key=sendgrid-url-secret-0123456780', body: 'garbage', headers: { 'content-type': 'multipart/form-data; boundary=----x' }, status: 403, code: 'JCT_SIGNATURE_INVALID' },
    { label: 'a repeated key: 403', url: `${url}&key=x`, ...(await multipart(sendgridFields)), status: 403, code: 'JCT_SIGNATURE_INVALID' },
    { label: 'sendgridKey unset: refused', settings: { sendgridKey: undefined }, url, ...(await multipart(sendgridFields)), status: 403, code: 'JCT_PROVIDER_NOT_CONFIGURED' },
    { label: 'an envelope that is not JSON: 400', url, ...(await multipart({ ...sendgridFields, envelope: '{to:' })), status: 400, code: 'JCT_PAYLOAD_INVALID' },
    { label: 'no sender at all: 400', url, ...(await multipart({ to: 'help@ours.test', text: 'x' })), status: 400, code: 'JCT_PAYLOAD_INVALID' },
    { label: 'a body that is not a form: 400', url, body: '{"from":"a@b"}', headers: { 'content-type': 'application/json' }, status: 400, code: 'JCT_PAYLOAD_INVALID' },
    { label: 'a broken multipart body: 400', url, body: 'garbage', headers: { 'content-type': 'multipart/form-data; boundary=----x' }, status: 400, code: 'JCT_PAYLOAD_INVALID' },
  ];
  await runIncoming(t, emailModule, cases, settingsWith({ ...OURS, sendgridKey: SENDGRID_KEY }));
});

function mailgunSignature(timestamp: string, token: string, key = MAILGUN_KEY): string {
  return createHmac('sha256', key).update(timestamp + token).digest('hex');
}

let tokenCount = 0;
function signedFields(fields: Record<string, string>, at = Date.now(), key = MAILGUN_KEY): Record<string, string> {
  const timestamp = String(Math.floor(at / 1000));
  const token = `token-${++tokenCount}-${'x'.repeat(40)}`;
  return { ...fields, timestamp, token, signature: mailgunSignature(timestamp, token, key) };
}

const mailgunFields = {
  recipient: 'help@ours.test',
  sender: 'bounce+srs@example.org',
  from: 'Ana Horvat <Ana@Example.org>',
  subject: 'Order 42',
  'body-plain': 'Where is my order?\n',
  'stripped-text': 'Where is my order?',
  'body-html': '<p>Where is my order?</p>',
  'Message-Id': '<mg-1@example.org>',
  'message-headers': '[["Subject","Order 42"]]',
};

t.test('Mailgun routes', async (t) => {
  const url = '/webhooks/email/mailgun';
  const once = await multipart(signedFields(mailgunFields));
  const failedFirst = signedFields({ ...mailgunFields, recipient: 'x@elsewhere.test' });
  const cases: IncomingCase[] = [
    {
      label: 'a signed multipart mail becomes an inbound message',
      url,
      ...once,
      status: 200,
      messages: [{ channel: 'email', from: 'ana@example.org', to: 'help@ours.test', subject: 'Order 42', text: 'Where is my order?', providerMessageId: '<mg-1@example.org>' }],
    },
    { label: 'the same request again (a replayed token): 403', url, ...once, status: 403, code: 'JCT_SIGNATURE_INVALID' },
    {
      label: "a reply's References (a header field, spelled as the mail spells it) are read",
      url,
      ...(await multipart(signedFields({ ...mailgunFields, 'In-Reply-To': '<o-1@ours.test>', references: '<q-0@example.org> <o-1@ours.test>' }))),
      status: 200,
      messages: [{ providerMessageId: '<mg-1@example.org>', references: ['<q-0@example.org>', '<o-1@ours.test>'] }],
    },
    {
      label: 'without References, its In-Reply-To',
      url,
      ...(await multipart(signedFields({ ...mailgunFields, 'In-Reply-To': '<o-1@ours.test>' }))),
      status: 200,
      messages: [{ references: ['<o-1@ours.test>'] }],
    },
    {
      label: 'an automatic mail (its Auto-Submitted header as a field): 200, and no message',
      url,
      ...(await multipart(signedFields({ ...mailgunFields, 'Auto-Submitted': 'auto-generated' }))),
      status: 200,
      messages: [],
    },
    {
      label: 'a bulk mail (its Precedence header as a field): 200, and no message',
      url,
      ...(await multipart(signedFields({ ...mailgunFields, Precedence: 'bulk' }))),
      status: 200,
      messages: [],
    },
    {
      label: 'a urlencoded form (no attachments) is read the same',
      url,
      body: new URLSearchParams(signedFields(mailgunFields)).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      status: 200,
      messages: [{ from: 'ana@example.org', to: 'help@ours.test', providerMessageId: '<mg-1@example.org>' }],
    },
    {
      label: 'without a From header, the envelope sender',
      url,
      ...(await multipart(signedFields({ ...mailgunFields, from: undefined as never }))),
      status: 200,
      messages: [{ from: 'bounce+srs@example.org' }],
    },
    {
      label: 'raw mode (a route URL ending in mime): body-mime',
      url: `${url}?format=mime`,
      ...(await multipart(signedFields({ recipient: 'help@ours.test', sender: 'bo@example.org', 'body-mime': 'From: bo@example.org\r\nSubject: raw\r\n\r\n<not a tag>\r\n' }))),
      status: 200,
      messages: [{ from: 'bo@example.org', subject: 'raw', text: '<not a tag>', providerMessageId: /^sha256:/ }] as never,
    },
    { label: 'a request refused after verifying: 400', url, ...(await multipart(failedFirst)), status: 400, code: 'JCT_EMAIL_RECIPIENT_UNKNOWN' },
    {
      label: '...gives its token back, so a retry with it is accepted',
      url,
      ...(await multipart({ ...failedFirst, recipient: 'help@ours.test' })),
      status: 200,
      messages: [{ to: 'help@ours.test' }],
    },
    { label: 'no signature: 401', url, ...(await multipart(mailgunFields)), status: 401, code: 'JCT_SIGNATURE_MISSING' },
    { label: 'signed with another key: 403', url, ...(await multipart(signedFields(mailgunFields, Date.now(), 'another-signing-key'))), status: 403, code: 'JCT_SIGNATURE_INVALID' },
    { label: 'signed 10 minutes ago: 403', url, ...(await multipart(signedFields(mailgunFields, Date.now() - 600_000))), status: 403, code: 'JCT_SIGNATURE_INVALID' },
    {
      label: 'a token changed after signing: 403',
      url,
      ...(await multipart({ ...signedFields(mailgunFields), token: 'y'.repeat(50) })),
      status: 403,
      code: 'JCT_SIGNATURE_INVALID',
    },
    { label: 'mailgunSigningKey unset: refused', settings: { mailgunSigningKey: undefined }, url, ...(await multipart(signedFields(mailgunFields))), status: 403, code: 'JCT_PROVIDER_NOT_CONFIGURED' },
    { label: 'no recipient field: 400', url, ...(await multipart(signedFields({ ...mailgunFields, recipient: undefined as never }))), status: 400, code: 'JCT_PAYLOAD_INVALID' },
    {
      label: 'a form of more than 1000 parts: 400 before it is parsed',
      url,
      ...(await multipart(signedFields({ ...mailgunFields, ...Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`x${i}`, ''])) }))),
      status: 400,
      code: 'JCT_PAYLOAD_INVALID',
      answer: /more than 1000 parts/,
    },
    {
      label: 'attachments within it are read',
      url,
      ...(await multipart(signedFields(mailgunFields), Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`attachment-${i}`, 'PNG'])))),
      status: 200,
      messages: [{ to: 'help@ours.test' }],
    },
    { label: 'a POST to /webhooks/email says where email webhooks are', ...(await multipart(mailgunFields)), status: 404, code: 'JCT_NOT_FOUND', answer: /sendgrid.*mailgun/ },
  ];
  await runIncoming(t, emailModule, cases, settingsWith({ ...OURS, mailgunSigningKey: MAILGUN_KEY }));
});

t.test('the Mailgun test vector of carrier-dialects.md §7.2 verifies', async (t) => {
  const form = { timestamp: '1529006854', token: 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0', signature: 'c74e40bbb02b30b31b3553d19981aefc82379e82bf715d7299fd96ea59a32bec' };
  const settings = settingsWith({ mailgunSigningKey: 'mg_signing_key_123' }) as never;
  const req = { method: 'POST', url: '/', origin: 'http://localhost', params: {}, query: {}, headers: {}, body: undefined, rawBody: Buffer.alloc(0) };
  const read = (fields: Record<string, string>) => async () => fields;
  const undo = await mailgun.verify(req, read(form), settings, 1529006854_000);
  t.type(undo, 'function');
  await t.rejects(mailgun.verify(req, read(form), settings, 1529006854_000), { code: 'JCT_SIGNATURE_INVALID' }, 'used once');
  (undo as () => void)();
  await t.rejects(mailgun.verify(req, read({ ...form, signature: form.signature.replace('c', 'd') }), settings, 1529006854_000), { code: 'JCT_SIGNATURE_INVALID' });
});

t.test('recent tokens are bounded', async (t) => {
  const tokens = new RecentTokens(3);
  for (const tok of ['a', 'b', 'c', 'd']) t.ok(tokens.claim(tok, 10_000, 0));
  t.notOk(tokens.claim('d', 10_000, 0), 'a recent token is refused');
  t.ok(tokens.claim('a', 10_000, 0), 'the oldest was forgotten to keep the bound');
  t.ok(tokens.claim('x', 20_000, 15_000));
  t.ok(tokens.claim('d', 20_000, 15_000), 'expired tokens are forgotten');
});
