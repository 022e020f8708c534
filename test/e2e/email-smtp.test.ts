// End to end through the real server: `junction start` on the embedded store with the email
// module's SMTP listener on a loopback port, its relay pointed at a local SMTP server that
// captures what Junction sends, and a small email flow (fixtures/email-flows) loaded from the
// flows folder as `junction start` loads any. A real SMTP client delivers JOIN to the listener;
// the flow answers by email through the relay (authenticating to it) and waits; the person's
// reply YES takes its branch and the flow ends with its last email. The same mail delivered
// twice (same Message-ID) is answered once; mail for an address that is not ours is refused.
// The answers thread with the mail they answer (In-Reply-To, References) and say they are
// automatic replies (Auto-Submitted), from the sender's display name.
import t from 'tap';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createTransport } from 'nodemailer';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { engagements, eventually, flowMetrics, logLine, startOnLoopback, stays, stopJunction } from './helpers.js';

const FLOWS = resolve('test/e2e/fixtures/email-flows');
const CLUB = 'club@example.com';
const ANA = 'ana@example.org';
const RELAY_USER = 'junction-relay';
const RELAY_PASSWORD = 'relay-password-for-tests';

interface Captured {
  user: string | undefined;
  mailFrom: string | undefined;
  rcptTo: string[];
  from: string | undefined;
  to: string | undefined;
  subject: string | undefined;
  text: string;
  messageId: string | undefined;
  idempotencyKey: unknown;
  fromName: string | undefined;
  fromLine: string | undefined;
  /** The raw header lines (mailparser's) of the headers a mail client threads by, and Auto-Submitted. */
  inReplyTo: string | undefined;
  references: string | undefined;
  autoSubmitted: string | undefined;
}

/** An SMTP relay as far as Junction uses one: AUTH required, every mail parsed and kept. */
async function captureRelay(t: { teardown(fn: () => void): void }): Promise<{ port: number; mails: Captured[] }> {
  const mails: Captured[] = [];
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    closeTimeout: 100,
    onAuth(auth, _session, callback) {
      if (auth.username === RELAY_USER && auth.password === RELAY_PASSWORD) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('authentication failed'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        mails.push({
          user: session.user as string | undefined,
          mailFrom: session.envelope.mailFrom === false ? undefined : session.envelope.mailFrom.address,
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          from: mail.from?.text,
          to: Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : mail.to?.text,
          subject: mail.subject,
          text: (mail.text ?? '').trim(),
          messageId: mail.messageId,
          idempotencyKey: mail.headers.get('x-junction-idempotency-key'),
          fromName: mail.from?.value[0]?.name,
          fromLine: lineOf(mail.headerLines, 'from'),
          inReplyTo: lineOf(mail.headerLines, 'in-reply-to'),
          references: lineOf(mail.headerLines, 'references'),
          autoSubmitted: lineOf(mail.headerLines, 'auto-submitted'),
        });
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  return { port: (server.server.address() as AddressInfo).port, mails };
}

/** A header's value as sent, unfolded ("In-Reply-To: <a@b>" → "<a@b>"); undefined when absent. */
function lineOf(lines: ReadonlyArray<{ key: string; line: string }>, key: string): string | undefined {
  const line = lines.find((l) => l.key === key)?.line;
  return line?.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
}

t.test('JOIN by email, the reply, YES, the last email; a redelivery changes nothing', async (t) => {
  const relay = await captureRelay(t);
  const junction = startOnLoopback(t, {
    JUNCTION_FLOWS: FLOWS,
    JUNCTION_EMAIL_DOMAINS: JSON.stringify(['example.com']),
    JUNCTION_EMAIL_SMTP_LISTEN: 'true',
    JUNCTION_EMAIL_SMTP_HOST: '127.0.0.1',
    JUNCTION_EMAIL_SMTP_PORT: '0',
    JUNCTION_EMAIL_RELAY_HOST: '127.0.0.1',
    JUNCTION_EMAIL_RELAY_PORT: String(relay.port),
    JUNCTION_EMAIL_RELAY_USER: RELAY_USER,
    JUNCTION_EMAIL_RELAY_PASSWORD: RELAY_PASSWORD,
    JUNCTION_EMAIL_NUMBERS: JSON.stringify([CLUB]),
  });
  const address = await junction.address;
  t.match(await logLine(junction, 'flow launched'), { flow: 'email-keywords' }, 'the flow in the flows folder was launched');
  const listening = await logLine(junction, 'SMTP listener started');
  t.match(listening, { host: '127.0.0.1', port: Number }, 'the SMTP listener logged the port it got');
  const smtpPort = listening!['port'] as number;
  t.not(smtpPort, 0);

  const ana = createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true, connectionTimeout: 3000, greetingTimeout: 3000, socketTimeout: 3000 });
  t.teardown(() => ana.close());
  const join = { from: `Ana Lopez <${ANA}>`, to: CLUB, subject: 'join', text: 'JOIN\n', messageId: '<join-1@example.org>' };
  const first = await ana.sendMail(join);
  t.match(first, { accepted: [CLUB], rejected: [], response: /^250/ }, 'the listener took the mail once it was durable');

  t.ok(await eventually(() => relay.mails.length === 1), 'the flow replied by email through the relay');
  t.match(relay.mails[0], {
    user: RELAY_USER,
    mailFrom: CLUB,
    rcptTo: [ANA],
    from: `"Club Šupport" <${CLUB}>`,
    fromName: 'Club Šupport',
    fromLine: /^=\?UTF-8\?[BQ]\?.+\?= <club@example\.com>$/i, // the name MIME-encoded, the address as it is
    to: ANA,
    subject: 'Welcome to the club',
    text: 'You wrote JOIN. Reply YES to confirm or NO to leave.',
    messageId: /^<[A-Za-z0-9_-]+@example\.com>$/, // base64url of the idempotency key: the outbox key and its deadline
    idempotencyKey: String,
    inReplyTo: '<join-1@example.org>',
    references: '<join-1@example.org>',
    autoSubmitted: 'auto-replied',
  });

  const again = await ana.sendMail(join);
  t.match(again, { accepted: [CLUB], response: /^250/ }, 'the same mail delivered again is accepted like the first');
  const stranger = await ana.sendMail({ ...join, to: 'someone@elsewhere.test', messageId: '<stranger-1@example.org>' }).then(
    () => 'accepted',
    (err: { responseCode?: number }) => err.responseCode,
  );
  t.equal(stranger, 550, 'mail for an address that is not ours is refused at RCPT TO');
  t.ok(await stays(() => relay.mails.length === 1), 'the redelivered mail sent nothing again');

  const yes = await ana.sendMail({
    from: `Ana Lopez <${ANA}>`,
    to: CLUB,
    subject: 'Re: Welcome to the club',
    text: 'YES\n',
    messageId: '<yes-1@example.org>',
    inReplyTo: relay.mails[0]!.messageId,
    references: ['<join-1@example.org>', relay.mails[0]!.messageId!],
  });
  t.match(yes, { accepted: [CLUB], response: /^250/ });
  t.ok(await eventually(() => relay.mails.length === 2), 'the flow sent its last email');
  t.match(relay.mails[1], { user: RELAY_USER, rcptTo: [ANA], from: CLUB, fromName: '', to: ANA, subject: 'You are in', text: 'Thanks for confirming, YES it is.' });
  t.match(
    relay.mails[1],
    { inReplyTo: '<yes-1@example.org>', references: `<join-1@example.org> ${relay.mails[0]!.messageId} <yes-1@example.org>`, autoSubmitted: 'auto-replied' },
    'the last email answers the YES mail, in the thread that JOIN began',
  );
  t.not(relay.mails[1]!.messageId, relay.mails[0]!.messageId, 'each send has its own Message-ID');
  t.ok(await stays(() => relay.mails.length === 2), 'nothing was sent twice');

  const metrics = await flowMetrics(address, 'email-keywords');
  t.match(metrics, { profilesInFlow: 1, profilesExited: 1, activeParticipants: 0 }, 'Ana entered once and left at the end');
  t.match(engagements(metrics), { join: 1, welcome: 1, answer: 1, 'tag-member': 1, thanks: 1, goodbye: 0 }, 'YES took its branch; the redelivery did not enter again');
  ana.close();
  t.equal(await stopJunction(junction), 0, 'the server stops cleanly');
});
