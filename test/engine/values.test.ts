// Typed values: whole numbers are kept exactly or refused.
import t from 'tap';
import { coerceValue } from '../../engine/values.js';

t.test('a whole number must be one JavaScript keeps exactly (within ±(2^53 − 1))', async (t) => {
  t.same(coerceValue('whole', 9007199254740991), { ok: true, value: 9007199254740991 });
  t.same(coerceValue('whole', '-42'), { ok: true, value: -42 });
  for (const raw of [9007199254740992, -9007199254740993, 1e300, '1e300', 1.5]) t.equal(coerceValue('whole', raw).ok, false, String(raw));
  t.same(coerceValue('decimal', 1e300), { ok: true, value: 1e300 }, 'a decimal may be large');
});

t.test('a refusal shows the value it refused', async (t) => {
  t.same(coerceValue('whole', 12.5), { ok: false, message: '12.5 is not a whole number (round(), floor() or ceil() make one)' });
  t.same(coerceValue('boolean', 3), { ok: false, message: '3 is not a valid boolean' });
  t.same(coerceValue('date', 'soon'), { ok: false, message: '"soon" is not a valid date' });
  t.match(coerceValue('datetime', '2026-03-01T09:00'), { ok: false, message: /^"2026-03-01T09:00" is not a valid datetime: write it with Z or an offset, e\.g\. / });
});

t.test('a datetime names a day and an hour that exist: none is rolled over into the next', async (t) => {
  for (const raw of ['2026-11-31T09:00:00Z', '2027-02-29T09:00:00Z', '2026-03-01T24:00:00Z', '2026-03-01T09:00:00+25:00']) {
    t.same(coerceValue('datetime', raw), { ok: false, message: `"${raw}" is not a valid datetime` }, raw);
  }
  t.same(coerceValue('datetime', '2028-02-29T09:00:00+01:00'), { ok: true, value: '2028-02-29T08:00:00.000Z' }, 'a leap day');
});

t.test('text takes text, finite numbers and true/false as written, nothing else', async (t) => {
  t.same(coerceValue('text', 10001), { ok: true, value: '10001' });
  t.same(coerceValue('text', false), { ok: true, value: 'false' });
  for (const raw of [Infinity, -Infinity, NaN]) t.same(coerceValue('text', raw), { ok: false, message: `${String(raw)} is not a valid text` }, `${String(raw)} (1e400 in JSON) is no text`);
  t.equal(coerceValue('text', { a: 1 }).ok, false);
});

t.test('years 0001 to 0099 are kept as written; year 0000 is refused with the range', async (t) => {
  t.same(coerceValue('date', '0050-03-01'), { ok: true, value: '0050-03-01' });
  t.same(coerceValue('date', '0004-02-29'), { ok: true, value: '0004-02-29' }, 'year 4 was a leap year');
  t.same(coerceValue('date', '0100-02-29'), { ok: false, message: '"0100-02-29" is not a valid date' }, 'year 100 was not');
  t.same(coerceValue('datetime', '0050-03-01T10:00:00+01:00'), { ok: true, value: '0050-03-01T09:00:00.000Z' });
  t.same(coerceValue('date', '0000-03-01'), { ok: false, message: '"0000-03-01" is not a valid date: years run from 0001 to 9999' });
  t.same(coerceValue('datetime', '0000-03-01T10:00:00Z'), { ok: false, message: '"0000-03-01T10:00:00Z" is not a valid datetime: years run from 0001 to 9999' });
});
