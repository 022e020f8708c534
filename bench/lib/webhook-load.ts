// Load generator of bench/webhook, run as its own process so it shares no event loop with the
// benchmark or the server: autocannon POSTs Twilio SMS webhooks (the form Twilio sends for an
// inbound SMS, every field of it), each from a new sender with its own MessageSid and a
// keyword that enters the SMS keywords flow. Every request is built and signed with the
// official `twilio` library's getExpectedTwilioSignature *before* autocannon starts, so signing
// is never measured; the timed part only hands the prepared bodies and signatures out.
// Usage: node webhook-load.js '{"url":…,"signedUrl":…,"authToken":…,"connections":…,"seconds":…,
// "firstId":…,"prepared":…,"cycle"?:…,"overallRate"?:…}'
import { runPaced, tally, type Pace, type Tally } from './autocannon.js';

export interface WebhookLoadOptions extends Pace {
  /** URL autocannon calls, e.g. http://127.0.0.1:41234/webhooks/twilio */
  url: string;
  /** URL Twilio signs: the public one the server is configured with, e.g. https://junction.example.com/webhooks/twilio */
  signedUrl: string;
  authToken: string;
  /** Twilio account (AC…) and the number texted. */
  accountSid: string;
  to: string;
  /** First sender counter value; the next run against the same server starts at `nextId`. */
  firstId: number;
  /** How many distinct signed webhooks to prepare before the timed part. */
  prepared: number;
  /** When the prepared ones run out: start over (a baseline that does not care), or count repeats (the server would deduplicate them). */
  cycle?: boolean;
}

export interface WebhookLoadSummary extends Omit<Tally, 'ok'> {
  /** 200 answers: webhooks accepted (Junction answers once the inbound message is durable). */
  accepted: number;
  /** 200 answers per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests sent after the prepared ones ran out (without `cycle`, each a duplicate MessageSid). */
  repeated: number;
  /** Requests sent (repeats included). */
  sent: number;
  /** Bytes of the average body. */
  bodyBytes: number;
  prepareMs: number;
  nextId: number;
}

type Twilio = { getExpectedTwilioSignature(authToken: string, url: string, params: Record<string, string>): string };


/** Croatian mobile numbers +385 91 000 0000 … +385 91 999 9999: ten million distinct senders. */
const PHONES = 10_000_000;
/** Keywords of the flow's JOIN/START entry, in the cases people type them. */
const KEYWORDS = ['JOIN', 'Join', 'join', 'START', 'start', ' Join '];

interface Prepared {
  readonly body: string;
  readonly signature: string;
}

/** The parameters Twilio posts for an inbound SMS (Messaging webhook), in its order. */
function params(o: WebhookLoadOptions, id: number): Record<string, string> {
  if (id >= PHONES) throw new Error(`webhook-load: sender counter ${id} is past the ${PHONES} numbers available`);
  const digits = String(id).padStart(7, '0');
  const sid = `SM${digits}${'b'.repeat(25)}`;
  return {
    ToCountry: 'US',
    ToState: 'NY',
    SmsMessageSid: sid,
    NumMedia: '0',
    ToCity: 'NEW YORK',
    FromZip: '',
    SmsSid: sid,
    FromState: '',
    SmsStatus: 'received',
    FromCity: '',
    Body: KEYWORDS[id % KEYWORDS.length]!,
    FromCountry: 'HR',
    To: o.to,
    MessagingServiceSid: `MG${'0'.repeat(32)}`,
    ToZip: '10001',
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: o.accountSid,
    From: `+38591${digits}`,
    ApiVersion: '2010-04-01',
  };
}

async function prepare(o: WebhookLoadOptions): Promise<Prepared[]> {
  const twilio = ((await import('twilio')) as unknown as { default: Twilio }).default;
  const all: Prepared[] = new Array<Prepared>(o.prepared);
  for (let i = 0; i < o.prepared; i++) {
    const p = params(o, o.firstId + i);
    all[i] = { body: new URLSearchParams(p).toString(), signature: twilio.getExpectedTwilioSignature(o.authToken, o.signedUrl, p) };
  }
  return all;
}

async function load(o: WebhookLoadOptions): Promise<WebhookLoadSummary> {
  const started = performance.now();
  const prepared = await prepare(o);
  const prepareMs = Math.round(performance.now() - started);
  let sent = 0;
  const headers = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'TwilioProxy/1.1', accept: '*/*' };
  const result = await runPaced(o.url, o, headers, [
    {
      method: 'POST',
      setupRequest: (request) => {
        const p = prepared[sent++ % prepared.length]!;
        return { ...request, headers: { ...request.headers, 'x-twilio-signature': p.signature }, body: p.body };
      },
    },
  ]);
  const { ok: accepted, ...counts } = tally(result, 200);
  // autocannon builds each request right before it writes it: one setupRequest call, one request.
  const repeated = o.cycle ? 0 : Math.max(0, sent - prepared.length);
  const bodyBytes = Math.round(prepared.reduce((sum, p) => sum + p.body.length, 0) / Math.max(1, prepared.length));
  return {
    accepted,
    ...counts,
    rps: accepted / counts.seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    repeated,
    sent,
    bodyBytes,
    prepareMs,
    nextId: o.firstId + Math.min(sent, prepared.length),
  };
}

console.log(JSON.stringify(await load(JSON.parse(process.argv[2] ?? '{}') as WebhookLoadOptions)));
