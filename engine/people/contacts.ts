// Contact normalization: phones to E.164, emails to lower case, and telling the two apart.
// Phones use libphonenumber-js with its `max` metadata: `min` checks only a number's length
// for its country, so it accepts numbers no operator can assign (e.g. +385 96 463 3276);
// `max` checks the full per-country number patterns. Profiles are matched, merged and
// blocked by phone, so validity is worth the larger metadata. Parsing with it is slow (several
// µs) and one message reads its sender's number several times (for the person key, then to
// match and create the person), so the last few thousand numbers read are kept with their result.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { JunctionError } from '../errors.js';
import type { Channel } from '../person.js';

export type { CountryCode };

export interface Contact {
  readonly kind: 'phone' | 'email';
  /** E.164 for a phone, lower case for an email. */
  readonly value: string;
}

/** How many inputs without a default country keep their result (the oldest goes first), and the longest kept. */
const RECENT_PHONES = 4096;
const RECENT_MAX_LENGTH = 64;
const recentPhones = new Map<string, string | undefined>();

/**
 * The number in E.164, or undefined unless it is a valid number. National formats need
 * `defaultCountry`. Without one, a leading "00" is read as the international call prefix
 * ("0044 7911 123457" is +447911123457), as most countries dial it. A number with an
 * extension is refused: E.164 cannot carry one.
 */
export function normalizePhone(raw: string, defaultCountry?: CountryCode): string | undefined {
  if (defaultCountry !== undefined || raw.length > RECENT_MAX_LENGTH) return parsePhone(raw, defaultCountry);
  if (recentPhones.has(raw)) return recentPhones.get(raw);
  const phone = parsePhone(raw);
  if (recentPhones.size >= RECENT_PHONES) recentPhones.delete(recentPhones.keys().next().value!);
  recentPhones.set(raw, phone);
  return phone;
}

function parsePhone(raw: string, defaultCountry?: CountryCode): string | undefined {
  const text = raw.trim();
  const international = defaultCountry === undefined && text.startsWith('00') ? `+${text.slice(2)}` : text;
  const parsed = parsePhoneNumberFromString(international, { defaultCountry, extract: false });
  return parsed && parsed.isValid() && !parsed.ext ? flat(parsed.number) : undefined;
}

/**
 * The same text as one flat string. libphonenumber-js builds E.164 by concatenation: three
 * strings on the heap (88 bytes for +385912345678) where one flat string takes 32, and
 * profiles and the contact index keep it for good. normalize() returns the text flattened.
 */
function flat(text: string): string {
  return text.normalize();
}

/**
 * Trimmed, lower-cased and in Unicode's composed form (NFC, as RFC 6532 asks: `josé` typed with
 * a combining accent is the same address as with `é`), or undefined unless it looks like
 * `local@domain.tld`.
 */
export function normalizeEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase().normalize('NFC');
  const [local, domain, ...rest] = email.split('@');
  if (rest.length > 0 || !local || !domain || /\s/.test(email)) return undefined;
  const labels = domain.split('.');
  return labels.length > 1 && labels.every((label) => label !== '') ? email : undefined;
}

/** A phone or an email (anything with an `@` is an email), or undefined if it is neither. */
export function normalizeContact(raw: string, defaultCountry?: CountryCode): Contact | undefined {
  const kind = raw.includes('@') ? 'email' : 'phone';
  const value = kind === 'email' ? normalizeEmail(raw) : normalizePhone(raw, defaultCountry);
  return value === undefined ? undefined : { kind, value };
}

export function requirePhone(raw: string): string {
  return normalizePhone(raw) ?? invalid(raw, 'phone');
}

export function requireEmail(raw: string): string {
  return normalizeEmail(raw) ?? invalid(raw, 'email');
}

/** The contact a channel reaches people at, normalized: an email on email, a phone on every other channel. */
export function requireContactOn(channel: Channel, raw: string): string {
  return channel === 'email' ? requireEmail(raw) : requirePhone(raw);
}

export function requireContact(raw: string): Contact {
  return normalizeContact(raw) ?? invalid(raw, raw.includes('@') ? 'email' : 'phone');
}

const HINTS = {
  phone: 'give a valid number in international format, e.g. +385 91 234 5678 or 00385 91 234 5678, without an extension',
  email: 'give an address like name@example.com',
};

function invalid(raw: string, kind: keyof typeof HINTS): never {
  throw new JunctionError('JCT_CONTACT_INVALID', `${JSON.stringify(raw)} is not a valid ${kind}: ${HINTS[kind]}`, {
    contact: raw,
    kind,
  });
}

const E164 = /^\+[1-9]\d{6,14}$/;
/** An alphanumeric sender id: letters (at least one), digits and spaces, up to 11 in all, starting and ending with no space. */
const SENDER_ID = /^(?=[0-9 ]*[A-Za-z])[0-9A-Za-z]([0-9A-Za-z ]{0,9}[0-9A-Za-z])?$/;

/**
 * One of our numbers or addresses (a sender) as the router and the do-not-contact list compare
 * it: an email lower-cased, a phone number in E.164 (what adapters give passes as it is), an
 * alphanumeric sender id as configured (spaces kept, e.g. "ACME Shop"), and anything else that
 * is not a valid phone number (a short code) as its letters and digits.
 */
export function ourAddress(raw: string): string {
  if (E164.test(raw)) return raw;
  if (SENDER_ID.test(raw.trim())) return raw.trim();
  const contact = normalizeContact(raw);
  if (contact) return contact.value;
  return raw.includes('@') ? raw.trim().toLowerCase() : raw.replace(/[^0-9A-Za-z]/g, '');
}
