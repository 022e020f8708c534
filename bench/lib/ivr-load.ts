// Load generator of bench/ivr, run as its own process so it shares no event loop with the
// benchmark or the server: each autocannon connection plays calls, one after the other, two
// webhooks each, as Twilio sends them for a call to the menu number. Step 1: the call's first
// webhook (every field Twilio posts for an inbound call), a new CallSid from a new caller;
// its answer must be TwiML with a <Gather> on the menu's hook. Step 2: the caller pressed 2,
// posted to that Gather's action (the hook URL names the person Junction made, so it is only
// known from the answer); its answer must be TwiML with a <Gather> on the customer-number
// hook. First webhooks are built and signed with the official `twilio` library's
// getExpectedTwilioSignature before autocannon starts; the second ones are signed when their
// Gather arrives (one HMAC in this process, none in the server's). A step whose answer is not
// the expected TwiML is counted `wrong`, and the call starts over with a new first webhook.
// Usage: node ivr-load.js '{"origin":…,"publicBaseUrl":…,"authToken":…,…}' (IvrLoadOptions)
import { runPaced, type RawRequest, type RequestContext } from './autocannon.js';
import type { WebhookLoadOptions, WebhookLoadSummary } from './webhook-load.js';

/** As bench/webhook's options, but the calls go to two routes: where autocannon sends, and the public base they are signed for. */
export type IvrLoadOptions = Omit<WebhookLoadOptions, 'url' | 'signedUrl'> & {
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  /** Scheme and host the server was told Twilio calls (it signs and names hooks under it), e.g. https://ivr.example.com */
  publicBaseUrl: string;
};

/** As bench/webhook's summary (`repeated`: first webhooks, a CallSid used before; `bodyBytes`: a first webhook's), with the steps counted by kind. */
export type IvrLoadSummary = Omit<WebhookLoadSummary, 'accepted' | 'answered' | 'sent'> & {
  /** Call steps answered 200 with the expected Gather: first webhooks plus menu answers; `rps` counts these. */
  steps: number;
  /** First webhooks answered with the menu's Gather. */
  calls: number;
  /** Menu answers ("2") answered with the customer number's Gather. */
  menuAnswers: number;
  /** Answers 200 without the expected Gather. */
  wrong: number;
  /** One answer to each step as received, for a baseline that answers the same documents. */
  documents: { call: string; menu: string };
};

type Fields = Record<string, string>;
type Sign = (authToken: string, url: string, params: Fields) => string;

/** Croatian mobile numbers +385 91 000 0000 … +385 91 999 9999: ten million distinct callers. */
const PHONES = 10_000_000;
/** The menu option the caller presses: 2, support, which asks for the customer number. */
const SUPPORT = '2';
/** The collect elements of examples/flows/ivr-menu.json each step's answer must wait in. */
const MENU = 'menu';
const CUSTOMER_NUMBER = 'customer-number';

interface FirstWebhook {
  readonly fields: Fields;
  readonly body: string;
  readonly signature: string;
}

/** The form Twilio posts for an inbound call (the number's voice URL), in its order. */
function callFields(o: IvrLoadOptions, id: number): Fields {
  if (id >= PHONES) throw new Error(`ivr-load: caller counter ${id} is past the ${PHONES} numbers available`);
  const digits = String(id).padStart(7, '0');
  const from = `+38591${digits}`;
  return {
    AccountSid: o.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: `CA${digits}${'c'.repeat(25)}`,
    CallStatus: 'ringing',
    Called: o.to,
    CalledCity: 'SAN FRANCISCO',
    CalledCountry: 'US',
    CalledState: 'CA',
    CalledZip: '94105',
    Caller: from,
    CallerCity: '',
    CallerCountry: 'HR',
    CallerState: '',
    CallerZip: '',
    Direction: 'inbound',
    From: from,
    FromCity: '',
    FromCountry: 'HR',
    FromState: '',
    FromZip: '',
    To: o.to,
    ToCity: 'SAN FRANCISCO',
    ToCountry: 'US',
    ToState: 'CA',
    ToZip: '94105',
  };
}

/** The Gather's action of a TwiML answer if its hook is at `element` (hooks read `<element>~<attempt>~<step>`). */
function gatherAt(twiml: string, element: string): string | undefined {
  const action = /<Gather\b[^>]*\saction="([^"]+)"/.exec(twiml)?.[1]?.replaceAll('&amp;', '&');
  if (action === undefined) return undefined;
  const hook = new URL(action).searchParams.get('h') ?? '';
  return hook.split('~')[0] === element ? action : undefined;
}

async function load(o: IvrLoadOptions): Promise<IvrLoadSummary> {
  const started = performance.now();
  const sign = ((await import('twilio')) as unknown as { default: { getExpectedTwilioSignature: Sign } }).default.getExpectedTwilioSignature;
  const callUrl = `${o.publicBaseUrl}/voice/twilio`;
  const prepared = Array.from({ length: o.prepared }, (_, i): FirstWebhook => {
    const fields = callFields(o, o.firstId + i);
    return { fields, body: new URLSearchParams(fields).toString(), signature: sign(o.authToken, callUrl, fields) };
  });
  const prepareMs = Math.round(performance.now() - started);

  let sent = 0;
  const counts = { calls: 0, menuAnswers: 0, wrong: 0 };
  const documents = { call: '', menu: '' };
  const signed = (request: RawRequest, path: string, signature: string, body: string): RawRequest => ({
    ...request,
    path,
    headers: { ...request.headers, 'x-twilio-signature': signature },
    body,
  });
  const call = (request: RawRequest, context: RequestContext): RawRequest => {
    const w = prepared[sent++ % prepared.length]!;
    context['fields'] = w.fields;
    return signed(request, '/voice/twilio', w.signature, w.body);
  };
  const pressTwo = (request: RawRequest, context: RequestContext): RawRequest | undefined => {
    const action = context['action'] as string | undefined;
    if (action === undefined) return undefined; // the first step failed: a new call
    const fields: Fields = { ...(context['fields'] as Fields), CallStatus: 'in-progress', Digits: SUPPORT, FinishedOnKey: '', msg: 'Gather End' };
    return signed(request, action.slice(o.publicBaseUrl.length), sign(o.authToken, action, fields), new URLSearchParams(fields).toString());
  };
  const answered = (kind: 'calls' | 'menuAnswers', element: string) => (status: number, body: string, context: RequestContext) => {
    if (status !== 200) return; // autocannon counts it in non2xx
    const action = gatherAt(body, element);
    if (action === undefined) {
      counts.wrong += 1;
      return;
    }
    counts[kind] += 1;
    context['action'] = action;
    documents[kind === 'calls' ? 'call' : 'menu'] = body;
  };

  const headers = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'TwilioProxy/1.1', accept: '*/*' };
  const result = await runPaced(o.origin, o, headers, [
    { method: 'POST', setupRequest: call, onResponse: answered('calls', MENU) },
    { method: 'POST', setupRequest: pressTwo, onResponse: answered('menuAnswers', CUSTOMER_NUMBER) },
  ]);
  const steps = counts.calls + counts.menuAnswers;
  const { non2xx, errors, timeouts, duration: seconds } = result;
  return {
    steps,
    ...counts,
    non2xx,
    errors,
    timeouts,
    seconds,
    rps: steps / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    repeated: o.cycle ? 0 : Math.max(0, sent - prepared.length),
    bodyBytes: Math.round(prepared.reduce((sum, w) => sum + w.body.length, 0) / Math.max(1, prepared.length)),
    prepareMs,
    nextId: o.firstId + Math.min(sent, prepared.length),
    documents,
  };
}

console.log(JSON.stringify(await load(JSON.parse(process.argv[2] ?? '{}') as IvrLoadOptions)));
