// SMS parts as carriers count them: GSM-7 160/153 with two septets per extension character,
// UCS-2 70/67 with surrogate pairs kept whole.
import t from 'tap';
import { smsSegments } from '../../../engine/messaging/segments.js';

t.test('GSM-7 texts: 160 in one part, 153 per concatenated part', async (t) => {
  t.same(smsSegments(''), { encoding: 'GSM-7', units: 0, parts: 1 });
  t.same(smsSegments('a'.repeat(160)), { encoding: 'GSM-7', units: 160, parts: 1 });
  t.same(smsSegments('a'.repeat(161)).parts, 2);
  t.same(smsSegments('a'.repeat(306)).parts, 2);
  t.same(smsSegments('a'.repeat(307)).parts, 3);
  t.same(smsSegments('Pozdrav! @£$¥ èéùìò ÄÖÑÜ§¿ äöñüà ΔΦΓ').encoding, 'GSM-7');
});

t.test('extension characters take two septets and never split across parts', async (t) => {
  t.same(smsSegments('€'.repeat(80)), { encoding: 'GSM-7', units: 160, parts: 1 });
  t.same(smsSegments('€'.repeat(81)).parts, 2);
  t.equal(smsSegments(`${'a'.repeat(152)}€${'a'.repeat(152)}`).parts, 3, 'the escape pair moves whole to the next part');
  t.equal(smsSegments('{[~]}|^\\').units, 16);
});

t.test('anything outside the GSM alphabet sends the whole text as UCS-2', async (t) => {
  t.same(smsSegments('ć'.repeat(70)), { encoding: 'UCS-2', units: 70, parts: 1 });
  t.same(smsSegments(`Hello ${'ć'}`).encoding, 'UCS-2');
  t.equal(smsSegments('ć'.repeat(71)).parts, 2);
  t.equal(smsSegments('ć'.repeat(134)).parts, 2);
  t.equal(smsSegments('ć'.repeat(135)).parts, 3);
  t.same(smsSegments('😀'.repeat(35)), { encoding: 'UCS-2', units: 70, parts: 1 });
  t.equal(smsSegments(`${'a'.repeat(66)}😀${'a'.repeat(66)}`).parts, 3, 'a surrogate pair is not split: 134 units take 3 parts, not 2');
});
