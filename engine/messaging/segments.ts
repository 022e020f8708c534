// How many SMS parts a text takes, as carriers bill it. A text written only in the GSM 03.38
// alphabet is sent 7-bit: 160 characters in one part, 153 per part when concatenated (the
// header takes 7); characters of the extension table (^ { } \ [ ~ ] | €) take two. Anything
// else is sent as UCS-2: 70 UTF-16 units in one part, 67 per part when concatenated; a
// character outside the basic plane takes two units, and a part never splits one.
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';

const BASIC = new Set(GSM_BASIC);
const EXTENDED = new Set(GSM_EXTENDED);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegments {
  readonly encoding: SmsEncoding;
  /** Parts the text is sent in; an empty text still takes one. */
  readonly parts: number;
  /** Septets (GSM-7) or UTF-16 units (UCS-2) the text takes. */
  readonly units: number;
}

export function smsSegments(text: string): SmsSegments {
  const septets = gsmSeptets(text);
  if (septets !== undefined) return { encoding: 'GSM-7', units: septets, parts: septets <= 160 ? 1 : gsmParts(text) };
  return { encoding: 'UCS-2', units: text.length, parts: text.length <= 70 ? 1 : ucs2Parts(text) };
}

/** Septets of a text in the GSM alphabet, or undefined when it has a character outside it. */
function gsmSeptets(text: string): number | undefined {
  let n = 0;
  for (const c of text) {
    if (BASIC.has(c)) n += 1;
    else if (EXTENDED.has(c)) n += 2;
    else return undefined;
  }
  return n;
}

/** Concatenated GSM-7 parts: an escape and its character never split across parts. */
function gsmParts(text: string): number {
  let parts = 1;
  let used = 0;
  for (const c of text) {
    const size = EXTENDED.has(c) ? 2 : 1;
    if (used + size > 153) {
      parts++;
      used = 0;
    }
    used += size;
  }
  return parts;
}

/** Concatenated UCS-2 parts: a surrogate pair never splits across parts. */
function ucs2Parts(text: string): number {
  let parts = 1;
  let used = 0;
  for (const c of text) {
    if (used + c.length > 67) {
      parts++;
      used = 0;
    }
    used += c.length;
  }
  return parts;
}
