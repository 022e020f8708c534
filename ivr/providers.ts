// The voice providers Junction answers calls for, each a voice module (voice.ts) of its dialect
// with the secrets its signatures need: Twilio (TwiML), Telnyx (TeXML), Vonage (NCCO), Plivo
// (Plivo XML) and jambonz (verbs over HTTP webhooks or its WebSocket API). Each also places
// outbound calls through its provider's REST API (outbound.ts, dialers.ts), with the settings
// that needs (credentials, `apiBaseUrl`).
import { Type } from '@sinclair/typebox';
import type { Module, Settings } from '../engine/module.js';
import { jambonz, ncco, plivo, texml, twiml } from './dialects/index.js';
import { ArrivingRecordings, hookRoute, voiceModule } from './voice.js';
import { JAMBONZ_SOCKET_SETTINGS, jambonzSocket } from './jambonz-socket.js';
import { JAMBONZ_AUDIO_SETTINGS, jambonzAudioSocket, jambonzRecordings, withAudioAddress } from './jambonz-audio.js';
import { placeCalls } from './outbound.js';
import { dialJambonz, dialPlivo, dialTelnyx, dialTwilio, dialVonage } from './dialers.js';

const text = (settings: Settings, name: string): string | undefined => {
  const value = settings[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

const Secret = (description: string) => Type.Optional(Type.String({ minLength: 1, description: `${description}; unset: every webhook is refused` }));

/** A setting outbound calls need; unset, an Outbound call through the module is refused at launch (one launched before takes `failed`). */
const ForCalls = (description: string, pattern?: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 4096, ...(pattern ? { pattern } : {}), description: `${description}; unset: a flow with an Outbound call through this module is refused at launch (one launched before: its calls fail)` }));

/** The provider's REST API base URL (tests point it at a local server). */
const ApiBaseUrl = (url: string) => Type.String({ pattern: '^https?://[^?#]+[^/?#]$', default: url, description: "base URL of the provider's REST API (outbound calls)" });

export const twilioVoice: Module = voiceModule({
  name: 'twilio',
  dialect: twiml,
  settings: {
    authToken: Secret("the account's Auth Token, which signs Twilio's webhooks (and, with accountSid, authenticates outbound calls)"),
    accountSid: ForCalls('Account SID (AC…) outbound calls are placed from', '^AC[0-9a-zA-Z]{32}$'),
    apiBaseUrl: ApiBaseUrl('https://api.twilio.com'),
  },
  secrets: ['authToken'],
  effects: [placeCalls('twilio', dialTwilio, ['accountSid', 'authToken'])],
  secretsOf: (s) => {
    const authToken = text(s, 'authToken');
    return authToken === undefined ? undefined : { authToken };
  },
});

export const telnyxVoice: Module = voiceModule({
  name: 'telnyx',
  dialect: texml,
  settings: {
    publicKey: Secret("the account's Ed25519 public key (base64), which checks Telnyx's signatures (outbound calls need it too)"),
    apiKey: ForCalls('API key (V2) that authenticates outbound calls'),
    accountSid: ForCalls('the account id in TeXML REST addresses (/texml/Accounts/{account_sid}/Calls)'),
    applicationSid: ForCalls('the id of the TeXML Application outbound calls are placed through'),
    apiBaseUrl: ApiBaseUrl('https://api.telnyx.com'),
  },
  secrets: ['apiKey'],
  effects: [placeCalls('telnyx', dialTelnyx, ['accountSid', 'apiKey', 'applicationSid', 'publicKey'])],
  secretsOf: (s) => {
    const publicKey = text(s, 'publicKey');
    return publicKey === undefined ? undefined : { publicKey };
  },
});

export const vonageVoice: Module = voiceModule({
  name: 'vonage',
  dialect: ncco,
  settings: {
    signatureSecret: Secret("the account's signature secret, which signs the Voice API's JWTs (outbound calls need it too)"),
    applicationId: ForCalls('the Voice application id outbound calls are placed through'),
    privateKey: ForCalls("the application's private key (PEM), which signs the JWT of each outbound call"),
    apiBaseUrl: ApiBaseUrl('https://api.nexmo.com'),
  },
  secrets: ['signatureSecret', 'privateKey'],
  effects: [placeCalls('vonage', dialVonage, ['applicationId', 'privateKey', 'signatureSecret'])],
  secretsOf: (s) => {
    const signatureSecret = text(s, 'signatureSecret');
    return signatureSecret === undefined ? undefined : { signatureSecret };
  },
  callMethods: ['GET', 'POST'],
});

export const plivoVoice: Module = voiceModule({
  name: 'plivo',
  dialect: plivo,
  settings: {
    authToken: Secret("the (sub-)account's Auth Token, which signs Plivo's webhooks"),
    mainAuthToken: Type.Optional(Type.String({ minLength: 1, description: "the main account's Auth Token, for the -Ma- signatures (default: authToken)" })),
    authId: ForCalls('Auth ID of the (sub-)account outbound calls are placed from (with authToken)'),
    apiBaseUrl: ApiBaseUrl('https://api.plivo.com'),
  },
  secrets: ['authToken', 'mainAuthToken'],
  effects: [placeCalls('plivo', dialPlivo, ['authId', 'authToken'])],
  secretsOf: (s) => {
    const authToken = text(s, 'authToken');
    return authToken === undefined ? undefined : { authToken, mainAuthToken: text(s, 'mainAuthToken') ?? authToken };
  },
});

/** The recordings jambonz's audio socket is receiving, which the call's next webhook (HTTP or WebSocket API) waits for. */
const jambonzArriving = new ArrivingRecordings();

const jambonzWebhooks = voiceModule({
  name: 'jambonz',
  dialect: jambonz,
  settings: {
    webhookSecrets: Type.Array(Type.String({ minLength: 1 }), { default: [], maxItems: 5, description: "the account's webhook secrets (two while rotating; outbound calls need one too, their webhooks are HTTP); none: every webhook is refused" }),
    ...JAMBONZ_SOCKET_SETTINGS,
    ...JAMBONZ_AUDIO_SETTINGS,
    accountSid: ForCalls('the account sid outbound calls are placed from'),
    apiKey: ForCalls('an API key of that account, which authenticates outbound calls'),
    apiBaseUrl: ApiBaseUrl('https://api.jambonz.cloud'),
  },
  secrets: ['webhookSecrets', 'socketPassword', 'apiKey'],
  effects: [placeCalls('jambonz', dialJambonz, ['accountSid', 'apiKey', 'webhookSecrets'])],
  secretsOf: (s) => {
    const secrets = s['webhookSecrets'] as readonly string[];
    return secrets.length === 0 ? undefined : { webhookSecrets: secrets };
  },
  arriving: jambonzArriving,
  hookUrl: (base, personId, settings, ref) => withAudioAddress(hookRoute(base, 'jambonz', personId, ref), base, personId, settings, ref),
});

/**
 * jambonz: HTTP webhooks, or the WebSocket API at /voice/jambonz/socket (jambonz-socket.ts);
 * recordings streamed to /voice/jambonz/audio and served from /voice/jambonz/recordings (jambonz-audio.ts).
 */
export const jambonzVoice: Module = {
  ...jambonzWebhooks,
  routes: [...(jambonzWebhooks.routes ?? []), jambonzRecordings()],
  sockets: [jambonzSocket('/voice/jambonz/socket', jambonzArriving), jambonzAudioSocket(jambonzArriving)],
};

export const VOICE_MODULES: readonly Module[] = [twilioVoice, telnyxVoice, vonageVoice, plivoVoice, jambonzVoice];
