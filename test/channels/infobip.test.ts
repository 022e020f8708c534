// The Infobip provider through the shared harness: inbound SMS (MO_JSON_2) and WhatsApp
// messages, SMS and WhatsApp delivery reports and seen reports, all behind the Basic
// credentials we require; SMS and WhatsApp sends against a local stand-in for the API.
// Infobip publishes no webhook signature to cross-check (carrier-dialects §5.5), and no
// official Node SDK is installed: the request shapes follow §5 and Infobip's API reference.
import t from 'tap';
import infobipModule from '../../channels/infobip/index.js';
import { runIncoming, runOutgoing, type IncomingCase, type OutgoingCase } from './harness.js';

const USER = 'infobip-hooks';
const PASSWORD = 'infobip-webhook-password-0123';
const API_KEY = 'infobip-api-key-0123456789abcdef';
const settings = { webhookUsername: USER, webhookPassword: PASSWORD, apiKey: API_KEY };

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
function authed(body: unknown, authorization = basic(USER, PASSWORD)): { body: string; headers: Record<string, string> } {
  return { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', authorization } };
}

/** carrier-dialects §5.1, §5.2, §5.3 examples. */
const SMS = {
  messageId: '817790313235066447',
  from: '447700900001',
  to: '447860099299',
  text: 'JOIN spring offer',
  cleanText: 'spring offer',
  keyword: 'JOIN',
  receivedAt: '2024-01-01T10:00:00.000+0000',
  smsCount: 1,
  price: { pricePerMessage: 0, currency: 'EUR' },
  callbackData: null,
};
const DLR = {
  bulkId: 'BULK-1',
  messageId: 'MSG-1',
  to: '447700900001',
  sentAt: '2024-01-01T10:00:00.000+0000',
  doneAt: '2024-01-01T10:00:05.000+0000',
  messageCount: 1,
  price: { pricePerMessage: 0.01, currency: 'EUR' },
  status: { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET', description: 'Message delivered to handset' },
  error: { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false },
};
const wa = (message: Record<string, unknown>, messageId = `wa-${String(message['type'])}`) => ({
  from: '447700900001',
  to: '447860099299',
  integrationType: 'WHATSAPP',
  receivedAt: '2024-01-01T10:00:00.000+0000',
  messageId,
  pairedMessageId: null,
  callbackData: null,
  message,
  contact: { name: 'Jane' },
  price: { pricePerMessage: 0, currency: 'EUR' },
});
const dlr = (groupName: string, name: string, messageId = `MSG-${name}`, error?: Record<string, unknown>) => ({ ...DLR, messageId, status: { groupId: 9, groupName, id: 9, name }, error: error ?? DLR.error });
const AT = Date.parse('2024-01-01T10:00:00Z');

const incoming: IncomingCase[] = [
  {
    label: 'an inbound SMS (MO_JSON_2)',
    ...authed({ results: [SMS], messageCount: 1, pendingMessageCount: 0 }),
    status: 200,
    messages: [{ channel: 'sms', provider: 'infobip', from: '+447700900001', to: '+447860099299', text: 'JOIN spring offer', media: [], providerMessageId: '817790313235066447', receivedAt: AT }],
  },
  {
    label: 'several inbound SMS in one request',
    ...authed({ results: [SMS, { ...SMS, messageId: 'm2', text: 'STOP', receivedAt: '2024-01-01T11:00:00Z' }], messageCount: 2, pendingMessageCount: 0 }),
    status: 200,
    messages: [{ text: 'JOIN spring offer' }, { text: 'STOP', providerMessageId: 'm2', receivedAt: AT + 3_600_000 }],
  },
  {
    label: 'WhatsApp: text, image with caption, quick-reply button, interactive button and list replies',
    ...authed({
      results: [
        wa({ type: 'TEXT', text: 'Hello' }),
        wa({ type: 'IMAGE', url: 'https://api.infobip.com/whatsapp/1/senders/447860099299/media/abc', caption: 'receipt' }),
        wa({ type: 'BUTTON', text: 'Stop promotions', payload: 'STOP' }),
        wa({ type: 'INTERACTIVE_BUTTON_REPLY', id: 'menu-sales', title: 'Sales' }),
        wa({ type: 'INTERACTIVE_LIST_REPLY', id: 'opt-2', title: 'Support', description: 'Talk to us' }),
      ],
      messageCount: 5,
      pendingMessageCount: 0,
    }),
    status: 200,
    messages: [
      { channel: 'whatsapp', provider: 'infobip', from: '+447700900001', to: '+447860099299', text: 'Hello', media: [], providerMessageId: 'wa-TEXT', receivedAt: AT },
      { text: 'receipt', media: ['https://api.infobip.com/whatsapp/1/senders/447860099299/media/abc'] },
      { text: 'Stop promotions', button: { text: 'Stop promotions', payload: 'STOP' } },
      { text: 'Sales', button: { text: 'Sales', payload: 'menu-sales' } },
      { text: 'Support', button: { text: 'Support', payload: 'opt-2' } },
    ],
  },
  {
    label: 'WhatsApp types we do not carry (location, reaction) are acknowledged and skipped',
    ...authed({ results: [wa({ type: 'LOCATION', latitude: 1, longitude: 2 }), wa({ type: 'REACTION', emoji: 'x' })] }),
    status: 200,
  },
  {
    label: 'SMS delivery reports: delivered, pending, undeliverable with its error, expired, rejected',
    ...authed({
      results: [
        DLR,
        dlr('PENDING', 'PENDING_ENROUTE'),
        dlr('UNDELIVERABLE', 'UNDELIVERABLE_NOT_DELIVERED', 'MSG-u', { groupId: 1, groupName: 'HANDSET_ERRORS', id: 27, name: 'EC_ABSENT_SUBSCRIBER', permanent: false }),
        dlr('EXPIRED', 'EXPIRED_EXPIRED'),
        dlr('REJECTED', 'REJECTED_DESTINATION'),
      ],
    }),
    status: 200,
    reports: [
      { provider: 'infobip', providerMessageId: 'MSG-1', sentKey: 'MSG-1', status: 'delivered', providerStatus: 'DELIVERED_TO_HANDSET', at: AT + 5000 },
      { status: 'sent', providerStatus: 'PENDING_ENROUTE' },
      { providerMessageId: 'MSG-u', status: 'failed', errorCode: 'EC_ABSENT_SUBSCRIBER' },
      { status: 'failed' },
      { status: 'failed' },
    ],
  },
  {
    label: 'a WhatsApp delivery report, a seen report and an unknown status group',
    ...authed({
      results: [
        { bulkId: 'b', messageId: 'wa-out-1', to: '447700900001', sentAt: '2024-01-01T10:00:00.000+0000', doneAt: '2024-01-01T10:00:01.000+0000', status: { groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET' } },
        { messageId: 'wa-out-1', from: '447860099299', to: '447700900001', sentAt: '2024-01-01T10:00:00.000+0000', seenAt: '2024-01-01T10:01:00.000+0000' },
        dlr('MYSTERY', 'SOMETHING_NEW', 'MSG-x'),
        dlr('constructor', 'X', 'MSG-y'),
      ],
    }),
    status: 200,
    reports: [
      { providerMessageId: 'wa-out-1', status: 'delivered', at: AT + 1000 },
      { providerMessageId: 'wa-out-1', status: 'read', providerStatus: 'SEEN', at: AT + 60_000 },
      { providerMessageId: 'MSG-x', status: 'unknown', providerStatus: 'SOMETHING_NEW' },
      { providerMessageId: 'MSG-y', status: 'unknown' },
    ],
  },
  {
    label: 'behind a proxy (public base URL set, internal Host): the credentials still hold',
    settings: { publicBaseUrl: 'https://junction.example.com' },
    ...authed({ results: [SMS] }),
    headers: { ...authed({}).headers, host: 'junction-internal:3000' },
    status: 200,
    messages: [{ text: 'JOIN spring offer' }],
  },
  { label: 'the scheme is case-insensitive', ...authed({ results: [SMS] }, basic(USER, PASSWORD).replace('Basic', 'basic')), status: 200, messages: [{ text: 'JOIN spring offer' }] },
  { label: 'no credentials: 401', body: JSON.stringify({ results: [SMS] }), headers: { 'content-type': 'application/json' }, status: 401, code: 'JCT_SIGNATURE_MISSING' },
  { label: 'a bearer token instead of Basic credentials: 401', ...authed({ results: [SMS] }, 'Bearer abc'), status: 401, code: 'JCT_SIGNATURE_MISSING' },
  { label: 'a wrong password: 403', ...authed({ results: [SMS] }, basic(USER, 'not-the-password-000')), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  { label: 'a wrong user: 403', ...authed({ results: [SMS] }, basic('someone', PASSWORD)), status: 403, code: 'JCT_SIGNATURE_INVALID' },
  { label: 'no webhook password configured: refused', settings: { webhookPassword: undefined }, ...authed({ results: [SMS] }), status: 403, code: 'JCT_PROVIDER_NOT_CONFIGURED' },
  { label: 'malformed: no results: 400', ...authed({ messageCount: 1 }), status: 400, code: 'JCT_PAYLOAD_INVALID' },
  { label: 'a malformed item (an SMS without a sender) is passed over and counted; the webhook is taken', ...authed({ results: [{ ...SMS, from: undefined }] }), status: 200, malformed: 1 },
  { label: 'a malformed report (its status not an object) is passed over and counted', ...authed({ results: [{ ...DLR, status: 'DELIVERED' }] }), status: 200, malformed: 1 },
  {
    label: 'a batch whose second item is malformed (a report without its messageId) applies the first (a 400 would have Infobip send it all again)',
    ...authed({ results: [SMS, { ...DLR, messageId: undefined }] }),
    status: 200,
    messages: [{ channel: 'sms' }],
    malformed: 1,
  },
  { label: 'malformed: an item that is not an object: 400', ...authed({ results: ['MSG-1'] }), status: 400, code: 'JCT_PAYLOAD_INVALID', answer: /\$\.results\.0/ },
  { label: 'a WhatsApp text without text is passed over and counted', ...authed({ results: [wa({ type: 'TEXT' })] }), status: 200, malformed: 1 },
  { label: 'an SMS whose date is not one is passed over and counted', ...authed({ results: [{ ...SMS, receivedAt: '2024-13-45T10:00:00Z' }] }), status: 200, malformed: 1 },
  { label: 'invalid UTF-8: 400', body: Buffer.from([0x7b, 0xff, 0x7d]), headers: { 'content-type': 'application/json', authorization: basic(USER, PASSWORD) }, status: 400, code: 'JCT_BODY_ENCODING' },
];

t.test('incoming', (t) => runIncoming(t, infobipModule, incoming, settings));

const SENDER = '+447860099299';
const TO = '+447700900001';
const msg = (channel: 'sms' | 'whatsapp', extra: Record<string, unknown> = {}) => ({ channel, from: SENDER, to: TO, ...extra });
const PENDING = { groupId: 1, groupName: 'PENDING', id: 26, name: 'PENDING_ACCEPTED', description: 'Message sent to next instance' };
const SMS_ACCEPTED = { status: 200, body: { bulkId: 'bulk-1', messages: [{ to: '447700900001', status: PENDING, messageId: 'p1.1:2:0' }] } };
const WA_ACCEPTED = { status: 200, body: { to: '447700900001', messageCount: 1, messageId: 'p1.1:2:0', status: { ...PENDING, name: 'PENDING_ENROUTE' } } };
const serviceException = (messageId: string, text: string) => ({ requestError: { serviceException: { messageId, text } } });

/** The API request for one message: path, App key, and the JSON body. */
function apiRequest(path: string, body: unknown) {
  return (r: { method: string; url: string; headers: Record<string, unknown>; body: string }) => {
    t.equal(r.method, 'POST');
    t.equal(r.url, path);
    t.equal(r.headers['authorization'], `App ${API_KEY}`);
    t.match(r.headers['content-type'], /^application\/json/);
    t.same(JSON.parse(r.body), body);
  };
}

const outgoing: OutgoingCase[] = [
  {
    label: 'SMS via /sms/2/text/advanced, the outbox key as the message id',
    message: msg('sms', { text: 'Your code is 1234' }),
    responses: [SMS_ACCEPTED],
    result: { providerMessageId: 'p1.1:2:0' },
    requests: [apiRequest('/sms/2/text/advanced', { messages: [{ from: '447860099299', destinations: [{ to: '447700900001', messageId: 'p1.1:2:0' }], text: 'Your code is 1234' }] })],
  },
  {
    label: 'SMS from an alphanumeric sender',
    settings: { numbers: ['*'] },
    message: msg('sms', { from: 'InfoSMS', text: 'Hi' }),
    responses: [SMS_ACCEPTED],
    result: { providerMessageId: 'p1.1:2:0' },
    requests: [apiRequest('/sms/2/text/advanced', { messages: [{ from: 'InfoSMS', destinations: [{ to: '447700900001', messageId: 'p1.1:2:0' }], text: 'Hi' }] })],
  },
  {
    label: 'WhatsApp text',
    message: msg('whatsapp', { text: 'Hello' }),
    responses: [WA_ACCEPTED],
    result: { providerMessageId: 'p1.1:2:0' },
    requests: [apiRequest('/whatsapp/1/message/text', { from: '447860099299', to: '447700900001', messageId: 'p1.1:2:0', content: { text: 'Hello' } })],
  },
  {
    label: 'WhatsApp template with body placeholders',
    message: msg('whatsapp', { template: { name: 'order_update', language: 'en', parameters: ['Ana', '#1167'] } }),
    responses: [{ status: 200, body: { bulkId: 'b', messages: [{ to: '447700900001', messageCount: 1, messageId: 'ib-77', status: PENDING }] } }],
    result: { providerMessageId: 'ib-77' },
    requests: [
      apiRequest('/whatsapp/1/message/template', {
        messages: [{ from: '447860099299', to: '447700900001', messageId: 'p1.1:2:0', content: { templateName: 'order_update', templateData: { body: { placeholders: ['Ana', '#1167'] } }, language: 'en' } }],
      }),
    ],
  },
  {
    label: 'WhatsApp interactive buttons',
    message: msg('whatsapp', { interactive: { type: 'buttons', body: 'Confirm?', buttons: [{ id: 'yes', title: 'Yes' }] } }),
    responses: [WA_ACCEPTED],
    result: { providerMessageId: 'p1.1:2:0' },
    requests: [
      apiRequest('/whatsapp/1/message/interactive/buttons', {
        from: '447860099299',
        to: '447700900001',
        messageId: 'p1.1:2:0',
        content: { body: { text: 'Confirm?' }, action: { buttons: [{ type: 'REPLY', id: 'yes', title: 'Yes' }] } },
      }),
    ],
  },
  {
    label: 'WhatsApp interactive list',
    message: msg('whatsapp', { interactive: { type: 'list', body: 'Pick one', button: 'Options', sections: [{ title: 'Topics', rows: [{ id: 's', title: 'Sales', description: 'Buy' }] }] } }),
    responses: [WA_ACCEPTED],
    result: { providerMessageId: 'p1.1:2:0' },
    requests: [
      apiRequest('/whatsapp/1/message/interactive/list', {
        from: '447860099299',
        to: '447700900001',
        messageId: 'p1.1:2:0',
        content: { body: { text: 'Pick one' }, action: { title: 'Options', sections: [{ title: 'Topics', rows: [{ id: 's', title: 'Sales', description: 'Buy' }] }] } },
      }),
    ],
  },
  {
    label: '429 with Retry-After is retryable after that delay',
    message: msg('sms', { text: 'x' }),
    responses: [{ status: 429, body: serviceException('TOO_MANY_REQUESTS', 'Too many requests'), headers: { 'retry-after': '12' } }],
    error: { code: 'JCT_SEND_THROTTLED', retryable: true, retryAfterMs: 12_000 } as never,
  },
  { label: '503 is retryable', message: msg('sms', { text: 'x' }), responses: [{ status: 503, body: 'unavailable' }], error: { code: 'JCT_SEND_UNAVAILABLE', retryable: true } },
  {
    label: 'a bad request fails for good, in Infobip\'s words',
    message: msg('sms', { text: 'x' }),
    responses: [{ status: 400, body: serviceException('BAD_REQUEST', 'Invalid destination address') }],
    error: { code: 'JCT_SEND_REJECTED', retryable: false, message: 'infobip answered 400: BAD_REQUEST: Invalid destination address' } as never,
  },
  {
    label: 'the newer error body is read too',
    message: msg('whatsapp', { text: 'x' }),
    responses: [{ status: 401, body: { errorCode: 'E401', description: 'Invalid login details', action: 'Check the API key', violations: [] } }],
    error: { code: 'JCT_SEND_REJECTED', retryable: false, message: 'infobip answered 401: E401: Invalid login details' } as never,
  },
  {
    label: 'a 200 whose message was REJECTED (e.g. an invalid number) fails for good',
    message: msg('sms', { text: 'x' }),
    responses: [{ status: 200, body: { messages: [{ to: '1', messageId: 'm', status: { groupId: 5, groupName: 'REJECTED', id: 51, name: 'REJECTED_DESTINATION', description: 'Invalid destination address' } }] } }],
    error: { code: 'JCT_SEND_REJECTED', retryable: false, message: /REJECTED_DESTINATION: Invalid destination address/ } as never,
  },
  { label: 'a 2xx without a message id fails for good', message: msg('sms', { text: 'x' }), responses: [{ status: 200, body: {} }], error: { code: 'JCT_SEND_ANSWER_INVALID', retryable: false } },
  { label: 'no API key: not configured', settings: { apiKey: undefined }, message: msg('sms', { text: 'x' }), responses: [SMS_ACCEPTED], error: { code: 'JCT_PROVIDER_NOT_CONFIGURED', retryable: false } },
  { label: 'media is refused for good', message: msg('whatsapp', { media: ['https://example.com/a.jpg'] }), responses: [WA_ACCEPTED], error: { code: 'JCT_SEND_UNSUPPORTED', retryable: false } },
  { label: 'an SMS without text is refused for good', message: msg('sms'), responses: [SMS_ACCEPTED], error: { code: 'JCT_SEND_UNSUPPORTED', retryable: false } },
];

t.test('outgoing', (t) => runOutgoing(t, infobipModule, outgoing, (url) => ({ apiBaseUrl: url, numbers: [SENDER] }), settings));

t.test('senders are handled on SMS and WhatsApp, not on email', async (t) => {
  const { Registry } = await import('../../engine/module.js');
  const registry = new Registry([infobipModule], { infobip: { numbers: [SENDER] } });
  t.ok(registry.handler({ kind: 'message.send', key: 'k', personId: 'p', channel: 'sms', from: SENDER } as never));
  t.ok(registry.handler({ kind: 'message.send', key: 'k', personId: 'p', channel: 'whatsapp', from: SENDER } as never));
  t.notOk(registry.handler({ kind: 'message.send', key: 'k', personId: 'p', channel: 'email', from: SENDER } as never));
});
