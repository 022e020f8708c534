// Link tracking: the links of a message whose send element asks for it (those of the text, the
// `<a href>` of the HTML) are rewritten to short URLs on our public address (`<publicBaseUrl>/l/<code>`); a click is recorded as the person's
// `message.clicked` event and counted on the element (`<channel>:clicked`), then redirected to
// the link. Codes come from the outbox entry's key and the link's place in the message, so a
// retried send carries the same short URLs; in a sharded cluster a code starts with the shard
// prefix of that key (its participant's, id-prefix.ts), so a click goes to that shard alone. The
// code is kept as a reference (`link:<code>`) with the link, for the reference window.
import { createHash } from 'node:crypto';
import type { OutboundMessage } from './message.js';
import { prefixOf } from '../id-prefix.js';

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
/** A link's quoted http(s) href in HTML: the tag up to the value (1), the quote (2), the URL as written (3). Images and other sources are not links. */
const HREF_IN_HTML = /(<a\b[^>]*?\shref\s*=\s*)(["'])(https?:\/\/[^"'<>]+)\2/gi;
/** The character references a URL in an HTML attribute may hold (`&amp;` between query parameters). */
const REFERENCE = /&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(amp|quot|apos|lt|gt));/gi;
const NAMED: Readonly<Record<string, string>> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' };
/** 10 base64url characters (after the shard prefix, if any): 60 bits, so codes of different messages do not collide in practice. */
const CODE_LENGTH = 10;

/** The short-URL path a code is served at. */
export const LINK_PATH = '/l/';

export function linkRef(code: string): string {
  return `link:${code}`;
}

export interface TrackedMessage {
  readonly message: OutboundMessage;
  /** Code → the original URL. */
  readonly links: Readonly<Record<string, string>>;
}

/** Rewrites every http(s) link of the text, and every link (`<a href>`) of the HTML, to a short URL under `baseUrl`. */
export function trackLinks(message: OutboundMessage, baseUrl: string): TrackedMessage {
  const links: Record<string, string> = {};
  let n = 0;
  const shorten = (url: string): string => {
    const code = prefixOf(message.idempotencyKey) + createHash('sha256').update(`${message.idempotencyKey}\u0000${n++}`).digest('base64url').slice(0, CODE_LENGTH);
    links[code] = url;
    return `${baseUrl}${LINK_PATH}${code}`;
  };
  const text = message.text?.replace(URL_IN_TEXT, shorten);
  const html = message.html?.replace(HREF_IN_HTML, (_tag, before: string, quote: string, url: string) => `${before}${quote}${shorten(unescapeHtml(url))}${quote}`);
  return { message: { ...message, ...(text !== undefined ? { text } : {}), ...(html !== undefined ? { html } : {}) }, links };
}

/** An attribute value as the browser reads it: its character references replaced. */
function unescapeHtml(value: string): string {
  return value.replace(REFERENCE, (ref, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED[name.toLowerCase()]!;
    const code = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ref;
  });
}
