// Reading JSON from outside: the depth check on the text (brackets inside strings do not
// count, escaped quotes do not end a string), and the errors of a text too deep or not JSON.
import t from 'tap';
import { jsonTooDeep, parseJsonText } from '../../engine/json-text.js';

const nested = (depth: number, inner = '') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

t.test('depth is counted on arrays and objects, up to the limit', async (t) => {
  t.equal(jsonTooDeep(nested(64)), false, '64 levels pass');
  t.equal(jsonTooDeep(nested(65)), true, '65 do not');
  t.equal(jsonTooDeep(`{"a":${nested(63)}}`), false);
  t.equal(jsonTooDeep(`{"a":${nested(64)}}`), true, 'objects count as levels');
  t.equal(jsonTooDeep(`${nested(60)},${nested(60)}`), false, 'siblings do not add up');
  t.equal(jsonTooDeep(nested(3), 2), true, 'the limit is a parameter');
});

t.test('brackets inside strings do not count; an escaped quote does not end the string', async (t) => {
  t.equal(jsonTooDeep(`["${'['.repeat(500)}"]`), false);
  t.equal(jsonTooDeep(`["a\\"${'{'.repeat(500)}"]`), false, 'still inside the string after \\"');
  t.equal(jsonTooDeep(`["a\\\\", ${nested(70)}]`), true, 'an escaped backslash ends before the quote');
});

t.test('parseJsonText: the value, or a 400 naming what was read', async (t) => {
  t.same(parseJsonText('{"a":[1,2]}', 'a message'), { a: [1, 2] });
  t.throws(() => parseJsonText(nested(1000), 'a message'), { code: 'JCT_JSON_TOO_DEEP', message: /^a message nests arrays and objects more than 64 levels deep/ });
  t.throws(() => parseJsonText('{"a":', 'a message'), { code: 'JCT_JSON_INVALID', message: 'a message is not valid JSON' });
});
