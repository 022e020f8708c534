// Our numbers and addresses as the router compares them: an email lower-cased, a phone number
// in E.164 (what adapters give passes as it is), and anything else that is not a valid phone number (a short code) as its digits.
import { normalizeContact } from '../people/contacts.js';

const E164 = /^\+[1-9]\d{6,14}$/;

export function ourAddress(raw: string): string {
  if (E164.test(raw)) return raw;
  const contact = normalizeContact(raw);
  if (contact) return contact.value;
  return raw.includes('@') ? raw.trim().toLowerCase() : raw.replace(/[^0-9A-Za-z]/g, '');
}
