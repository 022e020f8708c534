// A store URL as logs and messages show it: no user, no password, no query parameter named like a
// password; and a text echoing those secrets has them replaced.
import t from 'tap';
import { shownUrl, targetOf } from '../../../engine/store/shown-url.js';

t.test('shownUrl drops the user, the password and every password-like query parameter', async (t) => {
  t.equal(shownUrl('postgres://app:pw@db.example:5432/junction'), 'postgres://db.example:5432/junction');
  t.equal(shownUrl('postgres://db.example/junction?password=X1&sslmode=require&SSLPassword=X2'), 'postgres://db.example/junction?sslmode=require');
  t.equal(shownUrl('redis://cache:6379/?password=X3'), 'redis://cache:6379/');
  t.equal(shownUrl('redis://cache:6379/2'), 'redis://cache:6379/2', 'a URL without secrets is unchanged');
  t.equal(shownUrl('not a url ?password=X4'), '(not a URL)', 'a URL that does not parse is not echoed');
});

t.test('a target redacts the password and query secrets, raw or percent-encoded', async (t) => {
  const target = targetOf(new URL('postgres://app:p%40ss@db/junction?password=q%2Bsecret'));
  t.equal(target.where, 'postgres://db/junction');
  t.equal(target.redact('auth failed for p@ss, p%40ss, q+secret and q%2Bsecret'), 'auth failed for ***, ***, *** and ***');
});
