// The inbound SMTP listener (smtp-server): mail for our `domains` is accepted from whoever
// connects (a trusted relay or MX on a private network; SMTP AUTH when smtpUser/smtpPassword are
// set, STARTTLS when tlsKeyFile/tlsCertFile are). Other recipients are refused at RCPT TO (550),
// mail over maxMessageBytes with 552. Each mail is parsed (mailparser) and becomes one inbound
// message per accepted recipient; 250 is answered only once every one is durable, 451 when the
// inbox could not take them (the sending server retries later). A port in use, an address
// not this machine's, a TLS file missing or not PEM, or half of the AUTH or TLS pair stops the
// start, named (engine/listen-error.ts).
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import type { ListenerContext, ListenerDefinition } from '../../engine/module.js';
import { JunctionError } from '../../engine/errors.js';
import { listenError } from '../../engine/listen-error.js';
import { envName } from '../../config/modules.js';
import { lazyRequire } from '../../engine/lazy-require.js';
import { sameText } from '../signing.js';
import { isOurs, type EmailSettings } from './settings.js';
import { messagesOf, readMime } from './inbound.js';
import { submitInbound } from '../provider.js';

const smtpServer = lazyRequire<typeof import('smtp-server')>('smtp-server');

const MAX_RECIPIENTS = 100;
/** How long stopping waits for connected clients before cutting them off. */
const CLOSE_TIMEOUT_MS = 5_000;

/** A running listener and the port it got. */
export interface SmtpListening {
  readonly port: number;
  close(): Promise<void>;
}

export const smtpListener: ListenerDefinition = {
  name: 'email.smtp',
  start: async (ctx) => ((ctx.settings as EmailSettings).smtpListen ? listen(ctx) : { close: async () => {} }),
};

async function listen(ctx: ListenerContext): Promise<SmtpListening> {
  const settings = ctx.settings as EmailSettings;
  const server = new (smtpServer().SMTPServer)({ ...optionsOf(settings), ...handlersOf(ctx, settings) });
  server.on('error', (err) => ctx.logger.warn({ err }, 'SMTP connection error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', (err) => reject(listenError(err, { host: settings.smtpHost, port: settings.smtpPort, hostVariable: 'JUNCTION_EMAIL_SMTP_HOST', portVariable: 'JUNCTION_EMAIL_SMTP_PORT' })));
    server.listen(settings.smtpPort, settings.smtpHost, resolve);
  });
  const { port } = server.server.address() as AddressInfo;
  ctx.logger.info({ host: settings.smtpHost, port, domains: settings.domains.length }, 'SMTP listener started');
  if (settings.domains.length === 0) ctx.logger.warn({}, 'no "domains" set: every recipient is refused');
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function optionsOf(settings: EmailSettings): SMTPServerOptions {
  const tls = bothOrNeither(settings, 'tlsKeyFile', 'tlsCertFile');
  const auth = bothOrNeither(settings, 'smtpUser', 'smtpPassword');
  return {
    logger: false,
    disableReverseLookup: true,
    size: settings.maxMessageBytes,
    rejectOversized: true,
    maxRecipients: MAX_RECIPIENTS,
    closeTimeout: CLOSE_TIMEOUT_MS,
    authOptional: !auth,
    // Without TLS, AUTH is allowed in clear: the listener is meant for a private network.
    allowInsecureAuth: !tls,
    disabledCommands: [...(auth ? [] : ['AUTH']), ...(tls ? [] : ['STARTTLS'])],
    ...(tls ? tlsPair(settings.tlsKeyFile!, settings.tlsCertFile!) : {}),
  };
}

/** Whether both settings of a pair are set; one without the other (a secret not mounted) stops the start rather than leave AUTH or TLS off. */
function bothOrNeither(settings: EmailSettings, one: 'smtpUser' | 'tlsKeyFile', other: 'smtpPassword' | 'tlsCertFile'): boolean {
  const set = [settings[one], settings[other]].filter((v) => v !== undefined).length;
  if (set === 1) {
    const [given, missing] = settings[one] === undefined ? [other, one] : [one, other];
    throw new JunctionError('JCT_CONFIG_INVALID', `${given} is set but ${missing} is not (${envName('email', missing)}): set both, or neither`);
  }
  return set === 2;
}

/** The STARTTLS key and certificate, read and checked as a pair: a missing file or bad PEM stops the start, named. */
function tlsPair(keyFile: string, certFile: string): { key: Buffer; cert: Buffer } {
  const pair = { key: tlsFile(keyFile, 'JUNCTION_EMAIL_TLS_KEY_FILE'), cert: tlsFile(certFile, 'JUNCTION_EMAIL_TLS_CERT_FILE') };
  try {
    createSecureContext(pair);
  } catch (err) {
    throw new JunctionError('JCT_TLS_INVALID', `${keyFile} and ${certFile} (tlsKeyFile, tlsCertFile) are not a PEM private key and its certificate: ${(err as Error).message}`);
  }
  return pair;
}

function tlsFile(file: string, variable: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new JunctionError('JCT_FILE_UNREADABLE', `cannot read ${file} (${variable}): ${reason}`);
  }
}

function handlersOf(ctx: ListenerContext, settings: EmailSettings): Pick<SMTPServerOptions, 'onAuth' | 'onRcptTo' | 'onData'> {
  return {
    onAuth(auth, _session, callback) {
      const ok = sameText(auth.username ?? '', settings.smtpUser ?? '') && sameText(auth.password ?? '', settings.smtpPassword ?? '');
      callback(ok ? null : refusal('authentication failed', 535), ok ? { user: auth.username } : undefined);
    },
    onRcptTo(address, _session, callback) {
      callback(isOurs(address.address, settings.domains) ? null : refusal(`no mailbox here for <${address.address}>`, 550));
    },
    onData(stream, session, callback) {
      void collect(stream, settings.maxMessageBytes).then((raw) => {
        if (stream.sizeExceeded) return callback(refusal(`message exceeds fixed maximum message size ${settings.maxMessageBytes}`, 552));
        return accept(ctx, raw, session).then(() => callback(), callback);
      }, callback);
    },
  };
}

/** Parses and submits one mail (an automatic one is taken and dropped); rejects with the SMTP refusal to answer. */
async function accept(ctx: ListenerContext, raw: Buffer, session: SMTPServerSession): Promise<void> {
  const recipients = session.envelope.rcptTo.map((r) => r.address);
  const sender = session.envelope.mailFrom === false ? undefined : session.envelope.mailFrom.address; // '' for the null sender of a bounce
  let mail;
  try {
    mail = await readMime(raw, recipients, sender, ctx.now());
  } catch (err) {
    throw refusal(err instanceof JunctionError ? err.message : 'the message could not be read', 554);
  }
  if (mail.automatic) return;
  const messages = messagesOf(mail);
  try {
    await submitInbound(ctx, messages);
  } catch (err) {
    ctx.logger.error({ err, messageId: messages[0]?.providerMessageId }, 'inbound mail not stored; the sender is told to retry');
    throw refusal('temporary failure, try again later', 451);
  }
}

/** The mail's bytes, kept up to the size limit (beyond it only counted: the mail is refused). */
function collect(stream: SMTPServerDataStream, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    });
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

function refusal(message: string, responseCode: number): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode });
}
