// Each voice provider's REST request that places a call (a Dialer, outbound.ts), with the answer
// webhook and status callback on Junction's voice routes, and the provider's id of the call
// read from its answer:
// - Twilio: POST /2010-04-01/Accounts/{AccountSid}/Calls.json, a form, Basic auth; answer `sid`.
// - Telnyx TeXML: POST /v2/texml/Accounts/{account_sid}/Calls, JSON with the TeXML
//   application (ApplicationSid), bearer API key; answer `call_sid` when given.
// - Vonage Voice: POST /v1/calls, JSON, a bearer JWT (RS256) signed with the application's
//   private key; answer `conversation_uuid` (Junction's Vonage call id is the conversation).
// - Plivo: POST /v1/Account/{auth_id}/Call/, JSON, Basic auth; answer `request_uuid` (not the
//   call's CallUUID: the webhooks are routed by Junction's reference anyway).
// - jambonz: POST /v1/Accounts/{account_sid}/Calls, JSON, bearer API key; answer `sid`.
import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { EffectFailure } from '../engine/errors.js';
import { basicAuth, type Explanation, type ProviderAnswer } from '../channels/http.js';
import { textAt } from '../channels/answers.js';
import { withoutPlus } from '../channels/addresses.js';
import { setting, type Dialer, type PlacedCall } from './outbound.js';

const path = encodeURIComponent;

export const dialTwilio: Dialer = async (call, urls, settings, http) => {
  const accountSid = setting(settings, 'accountSid', 'twilio');
  const answer = await http.call(
    {
      url: `${settings['apiBaseUrl'] as string}/2010-04-01/Accounts/${path(accountSid)}/Calls.json`,
      headers: { authorization: basicAuth(accountSid, setting(settings, 'authToken', 'twilio')) },
      form: {
        To: call.to,
        From: call.from,
        Url: urls.answerUrl,
        Method: 'POST',
        StatusCallback: urls.statusUrl,
        StatusCallbackMethod: 'POST',
        StatusCallbackEvent: ['completed'],
        Timeout: String(call.ringTimeout),
      },
    },
    explain,
  );
  return placed(answer, 'sid');
};

export const dialTelnyx: Dialer = async (call, urls, settings, http) => {
  const answer = await http.call(
    {
      url: `${settings['apiBaseUrl'] as string}/v2/texml/Accounts/${path(setting(settings, 'accountSid', 'telnyx'))}/Calls`,
      headers: { authorization: `Bearer ${setting(settings, 'apiKey', 'telnyx')}` },
      json: {
        ApplicationSid: setting(settings, 'applicationSid', 'telnyx'),
        To: call.to,
        From: call.from,
        Url: urls.answerUrl,
        UrlMethod: 'POST',
        StatusCallback: urls.statusUrl,
        StatusCallbackMethod: 'POST',
        StatusCallbackEvent: 'completed',
        Timeout: call.ringTimeout,
      },
    },
    explain,
  );
  return optionalId(answer, 'call_sid');
};

export const dialVonage: Dialer = async (call, urls, settings, http) => {
  const token = vonageJwt(setting(settings, 'applicationId', 'vonage'), setting(settings, 'privateKey', 'vonage'), Date.now());
  const answer = await http.call(
    {
      url: `${settings['apiBaseUrl'] as string}/v1/calls`,
      headers: { authorization: `Bearer ${token}` },
      json: {
        to: [{ type: 'phone', number: withoutPlus(call.to) }],
        from: { type: 'phone', number: withoutPlus(call.from) },
        answer_url: [urls.answerUrl],
        answer_method: 'POST',
        event_url: [urls.statusUrl],
        event_method: 'POST',
        ringing_timer: call.ringTimeout,
      },
    },
    explain,
  );
  return placed(answer, 'conversation_uuid');
};

export const dialPlivo: Dialer = async (call, urls, settings, http) => {
  const authId = setting(settings, 'authId', 'plivo');
  const answer = await http.call(
    {
      url: `${settings['apiBaseUrl'] as string}/v1/Account/${path(authId)}/Call/`,
      headers: { authorization: basicAuth(authId, setting(settings, 'authToken', 'plivo')) },
      json: {
        from: withoutPlus(call.from),
        to: withoutPlus(call.to),
        answer_url: urls.answerUrl,
        answer_method: 'POST',
        hangup_url: urls.statusUrl,
        hangup_method: 'POST',
        ring_timeout: call.ringTimeout,
      },
    },
    explain,
  );
  return optionalId(answer, 'request_uuid');
};

export const dialJambonz: Dialer = async (call, urls, settings, http) => {
  const answer = await http.call(
    {
      url: `${settings['apiBaseUrl'] as string}/v1/Accounts/${path(setting(settings, 'accountSid', 'jambonz'))}/Calls`,
      headers: { authorization: `Bearer ${setting(settings, 'apiKey', 'jambonz')}` },
      json: {
        from: withoutPlus(call.from),
        to: { type: 'phone', number: withoutPlus(call.to) },
        call_hook: { url: urls.answerUrl, method: 'POST' },
        call_status_hook: { url: urls.statusUrl, method: 'POST' },
        timeout: call.ringTimeout,
      },
    },
    explain,
  );
  return placed(answer, 'sid');
};

/** The call id at `field` of a 2xx answer; an answer without one is not a placed call. */
function placed(answer: ProviderAnswer, field: string): PlacedCall {
  const callId = textAt(answer.json, field);
  if (callId === undefined || callId === '') throw new EffectFailure('JCT_CALL_ANSWER_INVALID', `the provider accepted the call but its answer has no "${field}"`, false);
  return { callId };
}

/** The call id at `field` when the answer gives one (Telnyx and Plivo may not: the call goes on without). */
function optionalId(answer: ProviderAnswer, field: string): PlacedCall {
  const callId = textAt(answer.json, field);
  return callId ? { callId } : {};
}

/** The words of a refusal, where each provider puts them (Twilio `message`, Telnyx `errors[0].detail`, Vonage `detail`/`title`, Plivo `error`, jambonz `msg`). */
function explain({ json }: ProviderAnswer): Explanation | undefined {
  const words = textAt(json, 'message') ?? textAt(json, 'errors', 0, 'detail') ?? textAt(json, 'detail') ?? textAt(json, 'title') ?? textAt(json, 'error') ?? textAt(json, 'msg');
  return words === undefined ? undefined : { words };
}

const keys = new Map<string, KeyObject>();

/** Vonage's application JWT: RS256 over `application_id`, `iat`, `exp` (5 minutes) and a fresh `jti`. */
export function vonageJwt(applicationId: string, privateKeyPem: string, now: number): string {
  const iat = Math.floor(now / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ application_id: applicationId, iat, exp: iat + 300, jti: randomUUID() })}`;
  return `${signed}.${sign('RSA-SHA256', Buffer.from(signed), privateKeyOf(privateKeyPem)).toString('base64url')}`;
}

function privateKeyOf(pem: string): KeyObject {
  let key = keys.get(pem);
  if (key) return key;
  try {
    key = createPrivateKey(pem.replace(/\\n/g, '\n'));
  } catch {
    throw new EffectFailure('JCT_PROVIDER_NOT_CONFIGURED', 'the setting "privateKey" of the module "vonage-voice" is not a PEM private key', false);
  }
  keys.set(pem, key);
  return key;
}
