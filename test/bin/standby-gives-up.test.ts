// A standby (cluster mode) whose store stays out of reach for JUNCTION_STORE_START_TIMEOUT_S gives
// up with exit 2, and its error says why it ended then: standing by, after how long, and which
// setting to raise; a store that answers for good (no such database) ends it at once, as it says.
import t from 'tap';
import { once } from 'node:events';
import { startMember } from './junction-process.js';
import { PG_URL, unlessPostgres } from '../engine/store/postgres-service.js';
import { closedPort } from '../gateway/services.js';

t.test('a store out of reach past the timeout: exit 2, the error says the standby gave up and on which setting', async (t) => {
  const p = startMember(t, 'a', { DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/test`, JUNCTION_STORE_START_TIMEOUT_S: '1' });
  p.address.catch(() => {});
  const [code] = (await once(p.child, 'exit')) as [number | null];
  t.equal(code, 2);
  t.match(p.printed.join('\n'), /^error JCT_STORE_UNAVAILABLE: .*; standing by, gave up after 1 s out of reach \(JUNCTION_STORE_START_TIMEOUT_S\)$/m);
});

t.test('a database that does not exist: exit 2 at once, without a word of giving up', { skip: await unlessPostgres(t) }, async (t) => {
  const p = startMember(t, 'a', { DATABASE_URL: PG_URL.replace(/\/[^/]*$/, '/jct_no_such_database'), JUNCTION_STORE_START_TIMEOUT_S: '60' });
  p.address.catch(() => {});
  const [code] = (await once(p.child, 'exit')) as [number | null];
  t.equal(code, 2);
  t.match(p.printed.join('\n'), /error JCT_STORE_UNAVAILABLE: .*database "jct_no_such_database" does not exist/);
  t.notMatch(p.printed.join('\n'), 'gave up');
});
