// The Redis server's settings that put acknowledged input at risk, read from redis-servers of the
// test's own: not persistent (appendonly no) and evicting keys (maxmemory-policy other than
// noeviction) each named with what it risks; none once both are safe; none either when CONFIG is
// not permitted (as on managed Redis, here a server with CONFIG renamed away).
import t from 'tap';
import { Redis } from 'ioredis';
import { redisRisks } from '../../../engine/store/redis-settings.js';
import { closedPort } from '../../gateway/services.js';
import { hasRedisServer, redisServer } from './redis-server.js';

const skip = hasRedisServer() ? false : 'redis-server is not installed';
if (skip && process.env['JUNCTION_REQUIRE_SERVICES'] === '1') t.fail(`required: ${skip}`);

t.test('not persistent and evicting: both named; none once they are safe', { skip }, async (t) => {
  const port = await closedPort();
  await redisServer(t, port, ['--appendonly', 'no', '--save', '', '--maxmemory-policy', 'allkeys-lru', '--dir', t.testdir()]);
  const url = `redis://127.0.0.1:${port}`;
  t.match(await redisRisks(url), [
    { setting: 'appendonly', value: 'no', risk: /not persistent.*set appendonly yes/ },
    { setting: 'maxmemory-policy', value: 'allkeys-lru', risk: /evicts keys.*set maxmemory-policy noeviction/ },
  ]);
  const redis = new Redis(url);
  t.teardown(() => redis.disconnect());
  await redis.config('SET', 'appendonly', 'yes');
  await redis.config('SET', 'maxmemory-policy', 'noeviction');
  t.same(await redisRisks(url), []);
});

t.test('CONFIG not permitted (managed Redis): nothing said', { skip }, async (t) => {
  const port = await closedPort();
  await redisServer(t, port, ['--appendonly', 'no', '--save', '', '--rename-command', 'CONFIG', '""', '--dir', t.testdir()]);
  t.same(await redisRisks(`redis://127.0.0.1:${port}`), []);
});

t.test('a server out of reach is an error, not a clean bill', async (t) => {
  await t.rejects(redisRisks(`redis://127.0.0.1:${await closedPort()}`), { code: 'JCT_STORE_UNAVAILABLE' });
});
