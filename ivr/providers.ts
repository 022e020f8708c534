// The voice providers Junction answers calls for, each a voice module (voice.ts) of its dialect
// with the secrets its signatures need: Twilio (TwiML), Telnyx (TeXML), Vonage (NCCO), Plivo
// (Plivo XML) and jambonz (verbs over HTTP webhooks or its WebSocket API).
import { Type } from '@sinclair/typebox';
import type { Module, Settings } from '../engine/module.js';
import { jambonz, ncco, plivo, texml, twiml } from './dialects/index.js';
import { voiceModule } from './voice.js';
import { JAMBONZ_SOCKET_SETTINGS, jambonzSocket } from './jambonz-socket.js';

const text = (settings: Settings, name: string): string | undefined => {
  const value = settings[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

const Secret = (description: string) => Type.Optional(Type.String({ minLength: 1, description: `${description}; unset: every webhook is refused` }));

export const twilioVoice: Module = voiceModule({
  name: 'twilio',
  dialect: twiml,
  settings: { authToken: Secret("the account's Auth Token, which signs Twilio's webhooks") },
  secrets: ['authToken'],
  secretsOf: (s) => {
    const authToken = text(s, 'authToken');
    return authToken === undefined ? undefined : { authToken };
  },
});

export const telnyxVoice: Module = voiceModule({
  name: 'telnyx',
  dialect: texml,
  settings: { publicKey: Secret("the account's Ed25519 public key (base64), which checks Telnyx's signatures") },
  secrets: [],
  secretsOf: (s) => {
    const publicKey = text(s, 'publicKey');
    return publicKey === undefined ? undefined : { publicKey };
  },
});

export const vonageVoice: Module = voiceModule({
  name: 'vonage',
  dialect: ncco,
  settings: { signatureSecret: Secret("the account's signature secret, which signs the Voice API's JWTs") },
  secrets: ['signatureSecret'],
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
  },
  secrets: ['authToken', 'mainAuthToken'],
  secretsOf: (s) => {
    const authToken = text(s, 'authToken');
    return authToken === undefined ? undefined : { authToken, mainAuthToken: text(s, 'mainAuthToken') ?? authToken };
  },
});

/** jambonz: HTTP webhooks, or the WebSocket API at /voice/jambonz/socket (jambonz-socket.ts). */
export const jambonzVoice: Module = {
  ...voiceModule({
    name: 'jambonz',
    dialect: jambonz,
    settings: {
      webhookSecrets: Type.Array(Type.String({ minLength: 1 }), { default: [], maxItems: 5, description: "the account's webhook secrets (two while rotating); none: every webhook is refused" }),
      ...JAMBONZ_SOCKET_SETTINGS,
    },
    secrets: ['webhookSecrets', 'socketPassword'],
    secretsOf: (s) => {
      const secrets = s['webhookSecrets'] as readonly string[];
      return secrets.length === 0 ? undefined : { webhookSecrets: secrets };
    },
  }),
  sockets: [jambonzSocket('/voice/jambonz/socket')],
};

export const VOICE_MODULES: readonly Module[] = [twilioVoice, telnyxVoice, vonageVoice, plivoVoice, jambonzVoice];
