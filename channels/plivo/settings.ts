// The Plivo module's own settings and their type (the common ones are added by provider.ts).
import { Type } from '@sinclair/typebox';
import type { CommonSettings } from '../provider.js';

export const Settings = {
  authId: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z]{10,40}$', description: 'Auth ID of the account (or sub-account) messages are sent from' })),
  authToken: Type.Optional(Type.String({ minLength: 1, description: 'Auth Token of that account: checks the plain signature headers and authenticates sends; unset: every webhook is refused' })),
  mainAuthToken: Type.Optional(Type.String({ minLength: 1, description: "the main account's Auth Token, for the -Ma- signature headers; default: authToken (right when authId is the main account)" })),
  apiBaseUrl: Type.String({ pattern: '^https?://[^?#]+[^/?#]$', default: 'https://api.plivo.com', description: "base URL of Plivo's REST API" }),
};
export type PlivoSettings = CommonSettings & { authId?: string; authToken?: string; mainAuthToken?: string; apiBaseUrl: string };
