// normalizePhone keeps the numbers read lately with their result: asking again gives the same
// answer, invalid numbers included, and a default country is never answered from them.
import t from 'tap';
import { normalizeContact, normalizePhone, requirePhone } from '../../../engine/people/contacts.js';

t.test('a number asked again gets the same answer', async (t) => {
  t.equal(normalizePhone('+385 91 234 5678'), '+385912345678');
  t.equal(normalizePhone('+385 91 234 5678'), '+385912345678');
  t.same(normalizeContact('+385 91 234 5678'), { kind: 'phone', value: '+385912345678' });
});

t.test('an invalid number asked again is still refused, with the same error', async (t) => {
  for (const raw of ['+385 96 463 3276', '12', '+385 91 234 5678 ext 5']) {
    t.equal(normalizePhone(raw), undefined, raw);
    t.equal(normalizePhone(raw), undefined, `${raw} again`);
    t.equal(normalizeContact(raw), undefined);
    for (let i = 0; i < 2; i++) t.throws(() => requirePhone(raw), { code: 'JCT_CONTACT_INVALID', message: /is not a valid phone: .*international format/ });
  }
});

t.test('a default country is not answered from numbers read without one', async (t) => {
  t.equal(normalizePhone('091 234 5678'), undefined);
  t.equal(normalizePhone('091 234 5678', 'HR'), '+385912345678');
  t.equal(normalizePhone('091 234 5678'), undefined);
});

t.test('answers stay right past the number of inputs kept, and for long inputs', async (t) => {
  const numbers = Array.from({ length: 5000 }, (_, i) => `+38591${String(i).padStart(7, '0')}`);
  for (const n of numbers) normalizePhone(n);
  t.equal(normalizePhone(numbers[0]!), numbers[0], 'the oldest, read again after it went');
  t.equal(normalizePhone(numbers[4999]!), numbers[4999]);
  t.equal(normalizePhone(`${' '.repeat(100)}+385 91 234 5678`), '+385912345678');
  t.equal(normalizePhone(`+385 91 234 5678${' x'.repeat(100)}`), undefined);
});
