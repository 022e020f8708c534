// What the dialect tests share: the instructions each dialect renders, a hook address maker,
// webhook requests built the way the gateway hands them to a reader (form, JSON, GET query),
// and an ordered view of an XML document parsed with fast-xml-parser.
import { XMLParser } from 'fast-xml-parser';
import { formParams, lastValues } from '../../channels/form.js';
import type { WebhookRequest } from '../../channels/provider.js';
import type { Collect, HookUrl, Instruction } from '../../ivr/instructions.js';

export const BASE = 'https://gw.example.com/ivr/t/';

/** An absolute URL per hook, with its params in the query. */
export const hookUrl: HookUrl = (hook, params) => `${BASE}${encodeURIComponent(hook)}${params ? `?${new URLSearchParams(params).toString()}` : ''}`;

export const collect = (o: Partial<Collect> = {}): Collect => ({
  kind: 'collect',
  hook: 'collect:menu',
  prompts: [{ kind: 'say', text: 'Press 1 for sales, 2 for support.' }],
  dtmf: true,
  speech: false,
  firstTimeout: 5,
  interDigitTimeout: 3,
  minDigits: 1,
  maxDigits: 1,
  finishKey: null,
  interruptPrompt: true,
  ...o,
});

/** A menu: a greeting, then one key. */
export const MENU: Instruction[] = [{ kind: 'say', text: 'Welcome to Acme.', voice: 'Polly.Joanna', language: 'en-US' }, collect()];

/** A 4-digit PIN ended by "#", the prompt not interruptible, 8 s to start and 4 s between keys. */
export const PIN: Instruction[] = [
  collect({ hook: 'collect:pin', prompts: [{ kind: 'say', text: 'Enter your PIN, then hash.' }], minDigits: 4, maxDigits: 4, finishKey: '#', firstTimeout: 8, interDigitTimeout: 4, interruptPrompt: false }),
];

/** A PIN of 4 to 6 digits. */
export const RANGE: Instruction[] = [collect({ hook: 'collect:range', minDigits: 4, maxDigits: 6, finishKey: '#' })];

/** Keys or speech with hints. */
export const SPEECH: Instruction[] = [
  collect({
    hook: 'collect:speech',
    prompts: [{ kind: 'play', url: 'https://cdn.example.com/menu.mp3' }],
    speech: true,
    speechOptions: { language: 'en-GB', hints: ['sales', 'support'], endSilence: 2 },
  }),
];

export const RECORD: Instruction[] = [
  { kind: 'say', text: 'Leave a message after the beep.' },
  { kind: 'record', hook: 'record:voicemail', maxLength: 120, finishKey: '#', beep: true, silenceTimeout: 5 },
];

export const FORWARD: Instruction[] = [
  {
    kind: 'forward',
    hook: 'forward:desk',
    targets: [
      { type: 'phone', address: '+15557650003' },
      { type: 'sip', address: 'sip:desk@pbx.example.com' },
    ],
    callerId: '+15557650002',
    ringTimeout: 20,
  },
];

export const PAUSE_AND_PLAY: Instruction[] = [
  { kind: 'pause', seconds: 2 },
  { kind: 'play', url: 'https://cdn.example.com/hold.mp3', loop: 3 },
];

export const REDIRECT: Instruction[] = [{ kind: 'redirect', hook: 'step:next' }, { kind: 'say', text: 'never said' }];
export const HANGUP: Instruction[] = [{ kind: 'say', text: 'Goodbye.' }, { kind: 'hangup' }, { kind: 'say', text: 'never said' }];

/** Text full of XML's special characters. */
export const SPECIAL = `Tom & Jerry's <special> "offer"`;

// ---- requests ----

const PUBLIC = 'https://gw.example.com';

/** A form POST on `path` (query included) as the gateway hands it over. */
export function formPost(path: string, params: Record<string, string>, headers: Record<string, string> = {}): WebhookRequest {
  const raw = new URLSearchParams(params).toString();
  const form = formParams(raw);
  return request('POST', path, { 'content-type': 'application/x-www-form-urlencoded', ...headers }, lastValues(form), Buffer.from(raw), form);
}

/** A JSON POST; `raw` overrides the body bytes (to send something that is not the object). */
export function jsonPost(path: string, body: unknown, headers: Record<string, string> = {}, raw?: string): WebhookRequest {
  const text = raw ?? JSON.stringify(body);
  return request('POST', path, { 'content-type': 'application/json', ...headers }, body, Buffer.from(text));
}

/** A GET with the fields in the query. */
export function get(path: string, params: Record<string, string>, headers: Record<string, string> = {}): WebhookRequest {
  const query = new URLSearchParams(params).toString();
  return request('GET', `${path}${path.includes('?') ? '&' : '?'}${query}`, headers, undefined, Buffer.alloc(0));
}

function request(method: string, url: string, headers: Record<string, string>, body: unknown, rawBody: Buffer, form?: Map<string, string[]>): WebhookRequest {
  const query = Object.fromEntries(new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : ''));
  return { method, url, params: {}, query, headers, body, rawBody, ...(form ? { form } : {}), publicUrl: `${PUBLIC}${url}` };
}

/** The path of a hook's address, marked or not. */
export function hookPath(hook: string, params?: Record<string, string>): string {
  return hookUrl(hook, params).slice(PUBLIC.length);
}

// ---- XML ----

export interface XmlNode {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly text: string;
  readonly children: readonly XmlNode[];
}

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, parseTagValue: false, trimValues: false });

/** The verbs of a <Response> document, in order; fails unless the root is one <Response>. */
export function responseVerbs(xml: string): XmlNode[] {
  const nodes = toNodes(parser.parse(xml) as unknown[]).filter((n) => n.name !== '?xml');
  if (nodes.length !== 1 || nodes[0]!.name !== 'Response') throw new Error(`not one <Response>: ${xml}`);
  return [...nodes[0]!.children];
}

function toNodes(list: unknown[]): XmlNode[] {
  const nodes: XmlNode[] = [];
  for (const item of list as Array<Record<string, unknown>>) {
    const name = Object.keys(item).find((k) => k !== ':@')!;
    if (name === '#text') continue;
    const content = item[name] as unknown[];
    const text = content
      .filter((c) => Object.hasOwn(c as object, '#text'))
      .map((c) => String((c as Record<string, unknown>)['#text']))
      .join('');
    nodes.push({ name, attrs: (item[':@'] as Record<string, string>) ?? {}, text, children: toNodes(content) });
  }
  return nodes;
}

/** Names of the verbs, for a quick look at the document's shape. */
export const names = (nodes: readonly XmlNode[]): string[] => nodes.map((n) => n.name);
