// The Vonage module's own settings and their type (the common ones are added by provider.ts).
import { Type } from '@sinclair/typebox';
import type { CommonSettings } from '../provider.js';

const SIGNATURE_METHODS = ['md5hash', 'md5hmac', 'sha1hmac', 'sha256hmac', 'sha512hmac'] as const;
export type SignatureMethod = (typeof SIGNATURE_METHODS)[number];

export const Settings = {
  apiKey: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'API key (dashboard, API settings); sends authenticate with it' })),
  apiSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'API secret of that key; unset: every send fails' })),
  signatureSecret: Type.Optional(
    Type.String({ minLength: 1, maxLength: 256, description: 'signature secret of that key (not the API secret); unset: every webhook is refused' }),
  ),
  signatureMethod: Type.Union(
    SIGNATURE_METHODS.map((m) => Type.Literal(m)),
    { default: 'md5hash', description: "SMS API webhooks: the dashboard's signature method (Messages API webhooks always use a JWT)" },
  ),
  signatureWindowS: Type.Integer({
    minimum: 60,
    maximum: 86_400,
    default: 300,
    description: 'how far (s) a signed timestamp (SMS API `timestamp`, Messages API `iat`) may be from our clock',
  }),
  apiBaseUrl: Type.String({ pattern: '^https?://[^/]+$', default: 'https://api.nexmo.com', description: 'base URL of the Messages API' }),
};

export type VonageSettings = CommonSettings & {
  apiKey?: string;
  apiSecret?: string;
  signatureSecret?: string;
  signatureMethod: SignatureMethod;
  signatureWindowS: number;
  apiBaseUrl: string;
};
