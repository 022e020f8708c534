import t from 'tap';
import {
  normalizeContact,
  normalizeEmail,
  normalizePhone,
  requireContact,
  requireEmail,
  requirePhone,
} from '../../../engine/people/contacts.js';

t.test('phones in international formats become E.164', async (t) => {
  t.equal(normalizePhone('+385 91 234 5678'), '+385912345678');
  t.equal(normalizePhone('  +385-91-234-5678 '), '+385912345678');
  t.equal(normalizePhone('+1 (415) 555-2671'), '+14155552671');
  t.equal(normalizePhone('+44 20 7946 0958'), '+442079460958');
  t.equal(normalizePhone('+385 91 234 5678', 'US'), '+385912345678', 'a + number ignores the default country');
});

t.test('phones in national formats need the default country', async (t) => {
  t.equal(normalizePhone('091 234 5678', 'HR'), '+385912345678');
  t.equal(normalizePhone('(415) 555-2671', 'US'), '+14155552671');
  t.equal(normalizePhone('00385 91 234 5678', 'HR'), '+385912345678', 'international call prefix');
  t.equal(normalizePhone('091 234 5678'), undefined, 'no country, no way to read it');
});

t.test('invalid phones are refused', async (t) => {
  for (const raw of ['', 'abc', '12', '+385 98 12345', '+1 415 123 4567', '+385 91 234 56789', 'call +385 91 234 5678']) {
    t.equal(normalizePhone(raw), undefined, raw);
  }
  t.equal(normalizePhone('+385 96 463 3276'), undefined, 'right length, but no such Croatian range (full metadata)');
  t.equal(normalizePhone('+385 91 234 5678 ext 5'), undefined, 'E.164 cannot carry an extension');
});

t.test('emails are trimmed, lower-cased, composed and checked', async (t) => {
  t.equal(normalizeEmail('  Ana.Horvat@Example.COM '), 'ana.horvat@example.com');
  t.equal(normalizeEmail('a+tag@mail.example.hr'), 'a+tag@mail.example.hr');
  t.equal(normalizeEmail('Jose\u0301@Example.com'), 'jos\u00e9@example.com', 'a combining accent is composed (NFC): one address however it was typed');
  t.equal(normalizeEmail('jos\u00e9@example.com'), 'jos\u00e9@example.com');
  for (const raw of ['', 'ana', '@example.com', 'ana@', 'ana@localhost', 'ana@@example.com', 'a@b@example.com', 'ana horvat@example.com', 'ana@example..com', 'ana@.example.com', 'ana@example.com.']) {
    t.equal(normalizeEmail(raw), undefined, raw);
  }
});

t.test('normalizeContact tells phones from emails', async (t) => {
  t.same(normalizeContact('Ana@Example.com'), { kind: 'email', value: 'ana@example.com' });
  t.same(normalizeContact('+385 91 234 5678'), { kind: 'phone', value: '+385912345678' });
  t.same(normalizeContact('091 234 5678', 'HR'), { kind: 'phone', value: '+385912345678' });
  t.equal(normalizeContact('+385912345678@'), undefined, 'an @ makes it an email, and a bad one');
  t.equal(normalizeContact('hello'), undefined);
});

t.test('the require forms throw JCT_CONTACT_INVALID with a hint', async (t) => {
  t.equal(requirePhone('+385 91 234 5678'), '+385912345678');
  t.equal(requireEmail('A@B.co'), 'a@b.co');
  t.same(requireContact('A@B.co'), { kind: 'email', value: 'a@b.co' });
  t.throws(() => requirePhone('12'), { code: 'JCT_CONTACT_INVALID', message: /"12" is not a valid phone: .*international format/ });
  t.throws(() => requireEmail('nope'), { code: 'JCT_CONTACT_INVALID', message: /"nope" is not a valid email/ });
  t.throws(() => requireContact('x@y'), { code: 'JCT_CONTACT_INVALID', details: { kind: 'email' } });
  t.throws(() => requireContact('garbage'), { code: 'JCT_CONTACT_INVALID', details: { kind: 'phone' } });
});

t.test('without a default country, a leading 00 is the international call prefix', async (t) => {
  t.equal(normalizePhone('00447911123457'), '+447911123457');
  t.equal(normalizePhone(' 00 44 7911 123457 '), '+447911123457');
  t.equal(normalizePhone('0044 7911 123457', 'US'), undefined, 'a default country reads its own prefix (011 in the US)');
  t.equal(normalizePhone('0011 44 7911 123457', 'AU'), '+447911123457');
  t.equal(normalizePhone('+00447911123457'), undefined, 'a + and a 00 is no number');
  t.throws(() => requirePhone('00447911'), { code: 'JCT_CONTACT_INVALID', message: /^"00447911" is not a valid phone: .*00385 91 234 5678/ }, 'quoted as sent, with the forms taken');
});
