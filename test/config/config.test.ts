import t from 'tap';
import { errorOf } from './error-of.js';
import { join } from 'node:path';
import { loadConfig, settingName } from '../../config/index.js';

t.test('defaults run everything on one machine with the examples', async (t) => {
  t.same(loadConfig({}), {
    host: '127.0.0.1',
    port: 8080,
    flows: 'examples/flows',
    people: 'examples/people.json',
    dataDir: 'data',
    sync: 'full',
    partitions: 8,
    flushMs: 2,
    dedupHours: 48,
    referenceDays: 7,
    timeZone: 'UTC',
    eventRetentionDays: 90,
    adminKey: '',
    trustProxy: '',
    rateLimitPerSecond: 100,
    httpIdleTimeoutMs: 30_000,
    httpRequestTimeoutMs: 120_000,
    httpKeepAliveTimeoutMs: 72_000,
    redisUrl: '',
    store: 'auto',
    databaseUrl: '',
    databaseSchema: 'junction',
    redisPrefix: 'junction:',
    storeStartTimeoutS: 60,
    cluster: false,
    advertiseUrl: '',
    leaseMs: 3000,
    shards: 1,
    clusterSecret: '',
    heapHeadroomPercent: 0,
    logLevel: 'info',
    modules: {},
  });
});

t.test('the store: DATABASE_URL and REDIS_URL are read too, the JUNCTION_ variables win', async (t) => {
  t.match(loadConfig({ DATABASE_URL: 'postgres://a@db/x', REDIS_URL: 'redis://r:6379' }), { databaseUrl: 'postgres://a@db/x', redisUrl: 'redis://r:6379' });
  t.equal(loadConfig({ DATABASE_URL: 'postgres://a@db/x', JUNCTION_DATABASE_URL: 'postgres://b@db/y' }).databaseUrl, 'postgres://b@db/y');
  t.throws(() => loadConfig({ DATABASE_URL: 'mysql://db' }), { code: 'JCT_CONFIG_INVALID' });
  t.throws(() => loadConfig({ JUNCTION_STORE: 'mongo' }), { code: 'JCT_CONFIG_INVALID' });
});

t.test('a file overrides the defaults and the environment overrides the file', async (t) => {
  const dir = t.testdir({ 'junction.json': JSON.stringify({ port: 9000, logLevel: 'warn', flows: 'flows' }) });
  const c = loadConfig({ JUNCTION_PORT: '9100', JUNCTION_PEOPLE: '' }, `${dir}/junction.json`);
  t.match(c, { host: '127.0.0.1', port: 9100, flows: 'flows', people: '', logLevel: 'warn' }, 'an empty JUNCTION_PEOPLE means no people file');
  t.equal(loadConfig({ JUNCTION_HOST: '0.0.0.0' }).host, '0.0.0.0');
  t.equal(loadConfig({ JUNCTION_HEAP_HEADROOM_PERCENT: '300' }).heapHeadroomPercent, 300);
  t.throws(() => loadConfig({ JUNCTION_HEAP_HEADROOM_PERCENT: '-1' }), { code: 'JCT_CONFIG_INVALID' });
});

t.test('bad configuration is refused with every problem named', async (t) => {
  t.match(errorOf(() => loadConfig({ JUNCTION_PORT: 'eighty', JUNCTION_LOG_LEVEL: 'loud' })), {
    code: 'JCT_CONFIG_INVALID',
    details: { problems: [{ path: '$.port' }, { path: '$.logLevel' }] },
  });
  const dir = t.testdir({ 'bad.json': '{ nope' });
  t.throws(() => loadConfig({}, `${dir}/bad.json`), { code: 'JCT_CONFIG_INVALID', message: /cannot read configuration/ });
  const broken = t.testdir({ 'trailing.json': '{\n  "port": 8080,\n}\n', 'empty.json': '' });
  t.throws(() => loadConfig({}, `${broken}/trailing.json`), { code: 'JCT_CONFIG_INVALID', message: `cannot read configuration ${broken}/trailing.json:3:1: not valid JSON (PropertyNameExpected)` }, 'the line and column of the mistake');
  t.throws(() => loadConfig({}, `${broken}/empty.json`), { code: 'JCT_CONFIG_INVALID', message: `cannot read configuration ${broken}/empty.json:1:1: not valid JSON (the file is empty)` });
  t.throws(() => loadConfig({}, `${dir}/missing.json`), { code: 'JCT_CONFIG_INVALID', message: /missing\.json: no such file \(give the path of a JSON file with --config\)$/ });
  t.throws(() => loadConfig({}, dir), { code: 'JCT_CONFIG_INVALID', message: /: it is a folder, not a JSON file$/ });
  t.match(errorOf(() => loadConfig({ JUNCTION_ADMIN_KEY: 'too short' })), { details: { problems: [{ path: '$.adminKey' }] } }, 'an admin key of at least 24 characters');
  const unknown = t.testdir({ 'c.json': JSON.stringify({ prot: 1 }) });
  t.match(errorOf(() => loadConfig({}, `${unknown}/c.json`)), { details: { problems: [{ path: '$.prot', message: /^unknown setting "prot"; the settings here are host, port, flows, / }] } }, 'a typo is named, with the settings it may have meant');
});

t.test('trustProxy: addresses, CIDR ranges and proxy-addr\'s names, each checked', async (t) => {
  t.equal(loadConfig({ JUNCTION_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,fd00::/8,::1,loopback' }).trustProxy, '10.0.0.0/8, 127.0.0.1,fd00::/8,::1,loopback');
  for (const bad of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/8', '::1/129', '10.0.0.0/x']) {
    t.match(errorOf(() => loadConfig({ JUNCTION_TRUST_PROXY: bad })), { code: 'JCT_CONFIG_INVALID', details: { problems: [{ path: '$.trustProxy' }] } }, bad);
  }
  t.match(errorOf(() => loadConfig({ JUNCTION_TRUST_PROXY: '10.0.0.1,,10.0.0.2' })), { details: { problems: [{ path: '$.trustProxy' }] } }, 'an empty entry');
});

t.test('redisUrl: empty (in memory) by default, a redis:// or rediss:// URL from JUNCTION_REDIS_URL', async (t) => {
  t.equal(loadConfig({ JUNCTION_REDIS_URL: 'redis://:pw@10.0.0.5:6379/0' }).redisUrl, 'redis://:pw@10.0.0.5:6379/0');
  t.equal(loadConfig({ JUNCTION_REDIS_URL: 'rediss://cache.example.com:6380' }).redisUrl, 'rediss://cache.example.com:6380');
  const refused = errorOf(() => loadConfig({ JUNCTION_REDIS_URL: 'http://:secret@cache:6379' }));
  t.match(refused, { details: { problems: [{ path: '$.redisUrl' }] } }, 'only redis:// and rediss://');
  t.notMatch(`${(refused as Error).message} ${JSON.stringify(refused)}`, /secret/, 'the refusal does not quote the URL');
});

t.test('which store the configuration chooses, and how the log names it', async (t) => {
  const { storeKind, storeName } = await import('../../bin/store.js');
  t.equal(storeKind(loadConfig({})), 'embedded');
  t.equal(storeKind(loadConfig({ JUNCTION_DATA_DIR: '' })), 'memory');
  t.equal(storeKind(loadConfig({ DATABASE_URL: 'postgres://u:pw@db/x' })), 'postgres');
  t.equal(storeName(loadConfig({ DATABASE_URL: 'postgres://u:pw@db/x' })), 'postgres postgres://db/x schema junction');
  t.equal(storeKind(loadConfig({ JUNCTION_STORE: 'redis', REDIS_URL: 'redis://r:6379' })), 'redis');
  t.throws(() => storeKind(loadConfig({ JUNCTION_STORE: 'redis' })), { code: 'JCT_CONFIG_INVALID', message: /needs redisUrl/ });
  t.throws(() => storeKind(loadConfig({ JUNCTION_STORE: 'postgres' })), { code: 'JCT_CONFIG_INVALID', message: /needs databaseUrl/ });
  t.equal(storeKind(loadConfig({ JUNCTION_STORE: 'embedded', DATABASE_URL: 'postgres://u@db/x' })), 'embedded', 'an explicit store wins over auto');
  const both = loadConfig({ JUNCTION_STORE: 'redis+postgres', DATABASE_URL: 'postgres://u:pw@db/x', REDIS_URL: 'redis://:pw@r:6379' });
  t.equal(storeKind(both), 'redis+postgres');
  t.equal(storeName(both), 'redis redis://r:6379 prefix "junction:" in front of postgres postgres://db/x schema junction', 'no password in the name');
  t.throws(() => storeKind(loadConfig({ JUNCTION_STORE: 'redis+postgres', REDIS_URL: 'redis://r:6379' })), { message: /store "redis\+postgres" needs databaseUrl/ });
  t.throws(() => storeKind(loadConfig({ JUNCTION_STORE: 'redis+postgres', DATABASE_URL: 'postgres://u@db/x' })), { message: /store "redis\+postgres" needs redisUrl/ });
  t.equal(storeKind(loadConfig({ JUNCTION_STORE: 'redis+postgres', JUNCTION_CLUSTER: '1', DATABASE_URL: 'postgres://u@db/x', REDIS_URL: 'redis://r:6379' })), 'redis+postgres', 'every server store can be shared by a cluster');
  t.equal(storeKind(loadConfig({ JUNCTION_CLUSTER: '1', REDIS_URL: 'redis://r:6379', JUNCTION_STORE: 'redis' })), 'redis');
});

t.test('cluster: yes or no from JUNCTION_CLUSTER, server stores only', async (t) => {
  const { storeKind } = await import('../../bin/store.js');
  for (const yes of ['1', 'true', 'YES']) t.equal(loadConfig({ JUNCTION_CLUSTER: yes }).cluster, true, yes);
  for (const no of ['0', 'false', 'no']) t.equal(loadConfig({ JUNCTION_CLUSTER: no }).cluster, false, no);
  t.match(errorOf(() => loadConfig({ JUNCTION_CLUSTER: 'maybe' })), { details: { problems: [{ path: '$.cluster' }] } });
  t.equal(storeKind(loadConfig({ JUNCTION_CLUSTER: '1', DATABASE_URL: 'postgres://u@db/x' })), 'postgres');
  t.throws(() => storeKind(loadConfig({ JUNCTION_CLUSTER: '1' })), { code: 'JCT_CONFIG_INVALID', message: /cluster needs a server store/ });
  t.throws(() => storeKind(loadConfig({ JUNCTION_CLUSTER: '1', JUNCTION_DATA_DIR: '' })), { message: /the embedded store cannot be shared/ }, 'nor the memory store');
  t.equal(loadConfig({ JUNCTION_LEASE_MS: '1500', JUNCTION_ADVERTISE_URL: 'http://10.0.0.7:8080' }).leaseMs, 1500);
  t.match(errorOf(() => loadConfig({ JUNCTION_LEASE_MS: '100' })), { details: { problems: [{ path: '$.leaseMs' }] } }, 'a lease shorter than 300 ms is refused');
});

t.test('shards: more than 1 needs cluster, a store with postgres and a cluster secret', async (t) => {
  const sharded = { JUNCTION_SHARDS: '4', JUNCTION_CLUSTER: '1', DATABASE_URL: 'postgres://u@db/x', JUNCTION_CLUSTER_SECRET: 'sixteen-chars-ok' };
  t.match(loadConfig(sharded), { shards: 4, clusterSecret: 'sixteen-chars-ok', people: 'examples/people.json' }, 'with a people file');
  t.equal(loadConfig({ JUNCTION_SHARDS: '1' }).shards, 1, 'one shard is active/standby: nothing more needed');
  t.match(errorOf(() => loadConfig({ ...sharded, JUNCTION_SHARDS: '257' })), { details: { problems: [{ path: '$.shards' }] } });
  t.match(errorOf(() => loadConfig({ ...sharded, JUNCTION_CLUSTER: '0' })), { details: { problems: [{ path: '$.shards', message: /needs cluster mode.*\(set by JUNCTION_SHARDS\)$/ }] } });
  t.match(loadConfig({ ...sharded, JUNCTION_STORE: 'redis+postgres', REDIS_URL: 'redis://r:6379' }), { shards: 4, store: 'redis+postgres' }, 'Redis in front of the shards');
  t.match(errorOf(() => loadConfig({ ...sharded, DATABASE_URL: undefined, JUNCTION_STORE: 'redis', REDIS_URL: 'redis://r:6379' })), { details: { problems: [{ path: '$.shards', message: /needs store postgres or redis\+postgres \(databaseUrl\), not redis:/ }] } });
  t.match(errorOf(() => loadConfig({ ...sharded, JUNCTION_CLUSTER_SECRET: undefined })), { details: { problems: [{ path: '$.clusterSecret', message: /needs a clusterSecret/ }] } });
  t.match(errorOf(() => loadConfig({ ...sharded, JUNCTION_CLUSTER_SECRET: 'too short' })), { details: { problems: [{ path: '$.clusterSecret', message: /at least 16 characters/ }] } });
});

t.test('an environment variable is a number only when written as one: "", 0x50 and 1e3 are refused, naming the variable', async (t) => {
  t.equal(loadConfig({ JUNCTION_PORT: ' 8081 ' }).port, 8081);
  for (const port of ['', ' ', '0x50', '1e3', '80abc']) {
    t.match(errorOf(() => loadConfig({ JUNCTION_PORT: port })), { details: { problems: [{ path: '$.port', message: 'Expected integer (set by JUNCTION_PORT)' }] } }, JSON.stringify(port));
  }
  t.match(errorOf(() => loadConfig({ JUNCTION_FLUSH_MS: '' })), { details: { problems: [{ path: '$.flushMs' }] } }, 'not 0');
  t.match(errorOf(() => loadConfig({ JUNCTION_CLUSTER: '' })), { details: { problems: [{ path: '$.cluster', message: 'Expected boolean (set by JUNCTION_CLUSTER)' }] } });
  t.match(errorOf(() => loadConfig({ JUNCTION_HOST: '' })), { details: { problems: [{ path: '$.host', message: /\(set by JUNCTION_HOST\)$/ }] } }, 'an empty host would listen on every address');
});

t.test('problems say what is expected: the values of a choice, the meaning of a pattern', async (t) => {
  t.match(errorOf(() => loadConfig({ JUNCTION_SYNC: 'FULL', JUNCTION_LOG_LEVEL: 'loud' })), {
    details: {
      problems: [
        { path: '$.sync', message: 'Expected one of "full", "normal" (set by JUNCTION_SYNC)' },
        { path: '$.logLevel', message: 'Expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent" (set by JUNCTION_LOG_LEVEL)' },
      ],
    },
  });
  const short = errorOf(() => loadConfig({ JUNCTION_ADMIN_KEY: 'too short' }));
  t.match(short, { details: { problems: [{ path: '$.adminKey', message: 'Expected "" or a key of at least 24 characters with no spaces (set by JUNCTION_ADMIN_KEY)' }] } });
  t.notMatch((short as Error).message, /too short/, 'the refused key is not repeated');
  const dir = t.testdir({ 'c.json': JSON.stringify({ store: 'mongo' }) });
  t.match(errorOf(() => loadConfig({}, `${dir}/c.json`)), { details: { problems: [{ path: '$.store', message: 'Expected one of "auto", "embedded", "postgres", "redis", "redis+postgres"' }] } }, 'from the file: no variable named');
});

t.test("a configuration file's flows, people and data directory are relative to the file's folder; the environment's to the current directory", async (t) => {
  const dir = t.testdir({ 'junction.json': JSON.stringify({ flows: 'flows', people: '../people.json', dataDir: '/var/lib/junction' }), 'none.json': JSON.stringify({ people: '' }) });
  t.match(loadConfig({}, `${dir}/junction.json`), { flows: join(dir, 'flows'), people: join(dir, '..', 'people.json'), dataDir: '/var/lib/junction' });
  t.equal(loadConfig({}, `${dir}/none.json`).people, '', '"" stays: no people file');
  t.equal(loadConfig({ JUNCTION_FLOWS: 'mine' }, `${dir}/junction.json`).flows, 'mine', 'the environment wins, as given');
});

t.test('a configuration file must hold an object of settings', async (t) => {
  const dir = t.testdir({ 'list.json': '[1, 2]', 'null.json': 'null' });
  for (const file of ['list.json', 'null.json']) {
    t.throws(() => loadConfig({}, `${dir}/${file}`), { code: 'JCT_CONFIG_INVALID', message: `configuration ${dir}/${file} must be a JSON object of settings, e.g. {"port": 8080}` });
  }
});

t.test('messages name a setting the way the user set it: its variable, else the configuration file\'s setting', async (t) => {
  t.equal(settingName('port', { JUNCTION_PORT: '1' }, 'j.json'), 'JUNCTION_PORT');
  t.equal(settingName('port', {}, 'j.json'), '"port" in j.json');
  t.equal(settingName('port', {}), 'JUNCTION_PORT');
  t.equal(settingName('databaseUrl', { DATABASE_URL: 'postgres://db/x' }, 'j.json'), 'DATABASE_URL', 'an alias counts');
});
