// The Twilio module's own settings and their type (the common ones are added by provider.ts).
import { Type } from '@sinclair/typebox';
import type { CommonSettings } from '../provider.js';

export const Settings = {
  accountSid: Type.Optional(Type.String({ pattern: '^AC[0-9a-zA-Z]{32}$', description: 'Account SID (AC…): the account messages are sent from' })),
  authToken: Type.Optional(Type.String({ minLength: 1, description: "the account's Auth Token: signs webhooks and authenticates sends; unset: every webhook is refused" })),
  apiBaseUrl: Type.String({ pattern: '^https?://[^?#]+[^/?#]$', default: 'https://api.twilio.com', description: "base URL of Twilio's REST API" }),
};
export type TwilioSettings = CommonSettings & { accountSid?: string; authToken?: string; apiBaseUrl: string };
