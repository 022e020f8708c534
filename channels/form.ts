// Reading form-encoded webhooks (Twilio, Plivo, Vonage's SMS API, Meta's handshake): the query
// of a URL, form parameters with every value of a repeated name, a webhook's fields from the
// GET query or the POST body, and numbered fields (MediaUrl0, Media1 …). A form body is parsed
// once: the gateway's content parser gives the request both its fields and its parameters.
import type { RouteRequest } from '../engine/module.js';
import { payloadInvalid } from './errors.js';
import { header } from './signing.js';

/** Form-encoded parameters, in order of their names' first appearance, each with all its values in order. */
export function formParams(text: string): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(text)) {
    const values = params.get(name);
    if (values) values.push(value);
    else params.set(name, [value]);
  }
  return params;
}

/** One field per name with its last value; "__proto__" is a field like any other. */
export function lastValues(params: ReadonlyMap<string, readonly string[]>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, values] of params) {
    const value = values.at(-1)!;
    if (name === '__proto__') Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
    else fields[name] = value;
  }
  return fields;
}

/** The query string of a URL (without "?" and fragment), or "". */
export function queryOf(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return '';
  const hash = url.indexOf('#', q);
  return url.slice(q + 1, hash === -1 ? undefined : hash);
}

/** The parameters of a URL's query, one value per name (the last). */
export function queryFields(url: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(queryOf(url)));
}

/** The URL without its query and fragment. */
export function withoutQuery(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** The body parameters a POST was signed with; a GET has none (its parameters are in the URL). */
export function bodyParams(req: Pick<RouteRequest, 'method' | 'rawBody' | 'form'>): ReadonlyMap<string, readonly string[]> {
  if (req.method !== 'POST') return new Map();
  return req.form ?? formParams(req.rawBody.toString('utf8'));
}

/**
 * A webhook's fields, one value per name (the last): the GET query, or the POST body when it is
 * a form (or JSON, where `json` allows it); undefined for any other body.
 */
export function fieldsOf(req: Omit<RouteRequest, 'origin'>, json = false): unknown {
  if (req.method === 'GET') return queryFields(req.url);
  const type = header(req, 'content-type') ?? '';
  return /^application\/x-www-form-urlencoded\b/i.test(type) || (json && /^application\/json\b/i.test(type)) ? req.body : undefined;
}

/** The values of numbered fields `<prefix><first>` … for `count` of them; a missing one is malformed. */
export function numbered(fields: Readonly<Record<string, unknown>>, prefix: string, first: number, count: number): string[] {
  const values: string[] = [];
  for (let i = first; i < first + count; i++) {
    const value = fields[`${prefix}${i}`];
    if (typeof value !== 'string' || value === '') throw payloadInvalid(`the webhook announces ${count} media but has no "${prefix}${i}"`);
    values.push(value);
  }
  return values;
}
