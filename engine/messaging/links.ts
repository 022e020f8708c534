// Link tracking: the links of a message whose send element asks for it are rewritten to short
// URLs on our public address (`<publicBaseUrl>/l/<code>`); a click is recorded as the person's
// `message.clicked` event and counted on the element (`<channel>:clicked`), then redirected to
// the link. Codes come from the outbox entry's key and the link's place in the message, so a
// retried send carries the same short URLs. The code is kept as a reference (`link:<code>`)
// with the link, for the reference window.
import { createHash } from 'node:crypto';
import type { OutboundMessage } from './message.js';

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
/** 10 base64url characters: 60 bits, so codes of different messages do not collide in practice. */
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

/** Rewrites every http(s) link of the text and HTML to a short URL under `baseUrl`. */
export function trackLinks(message: OutboundMessage, baseUrl: string): TrackedMessage {
  const links: Record<string, string> = {};
  let n = 0;
  const shorten = (url: string): string => {
    const code = createHash('sha256').update(`${message.idempotencyKey}\u0000${n++}`).digest('base64url').slice(0, CODE_LENGTH);
    links[code] = url;
    return `${baseUrl}${LINK_PATH}${code}`;
  };
  const text = message.text?.replace(URL_IN_TEXT, shorten);
  const html = message.html?.replace(URL_IN_TEXT, shorten);
  return { message: { ...message, ...(text !== undefined ? { text } : {}), ...(html !== undefined ? { html } : {}) }, links };
}
