// Module settings: the file's `modules` section, JUNCTION_<MODULE>_<SETTING> over it, defaults,
// every problem named with its path, secrets turned into redaction paths.
import t from 'tap';
import { errorOf } from './error-of.js';
import { Type } from '@sinclair/typebox';
import { envName, loadModuleSettings, secretPaths, unknownVariables, type SettingsSpec } from '../../config/modules.js';
import { loadConfig } from '../../config/index.js';
import twilio from '../../channels/twilio/index.js';
import { join } from 'node:path';
import { assembleRegistry } from '../../bin/modules.js';

const carrier: SettingsSpec = {
  name: 'test-carrier',
  schema: Type.Object(
    {
      baseUrl: Type.String({ default: 'http://127.0.0.1:9' }),
      retries: Type.Integer({ minimum: 0, default: 3 }),
      sandbox: Type.Boolean({ default: false }),
      authToken: Type.Optional(Type.String({ minLength: 8 })),
      numbers: Type.Array(Type.String(), { default: [] }),
    },
    { additionalProperties: false },
  ),
  secrets: ['authToken'],
};

t.test('environment names are the module and setting in upper snake case', async (t) => {
  t.equal(envName('core', 'httpTimeoutMs'), 'JUNCTION_CORE_HTTP_TIMEOUT_MS');
  t.equal(envName('test-carrier', 'authToken'), 'JUNCTION_TEST_CARRIER_AUTH_TOKEN');
});

t.test('defaults, then the file section, then the environment, converted to the declared types', async (t) => {
  t.same(loadModuleSettings([carrier], {}, {}), { 'test-carrier': { baseUrl: 'http://127.0.0.1:9', retries: 3, sandbox: false, numbers: [] } });
  const settings = loadModuleSettings([carrier], { 'test-carrier': { retries: 1, authToken: 'from-the-file' } }, {
    JUNCTION_TEST_CARRIER_RETRIES: '5',
    JUNCTION_TEST_CARRIER_SANDBOX: 'true',
  });
  t.same(settings['test-carrier'], { baseUrl: 'http://127.0.0.1:9', retries: 5, sandbox: true, authToken: 'from-the-file', numbers: [] });
  const listed = loadModuleSettings([carrier], {}, { JUNCTION_TEST_CARRIER_NUMBERS: '["+385800100","*"]' });
  t.same(listed['test-carrier']?.['numbers'], ['+385800100', '*'], 'lists come as JSON');
  const commas = loadModuleSettings([carrier], {}, { JUNCTION_TEST_CARRIER_NUMBERS: '+385800100, *,' });
  t.same(commas['test-carrier']?.['numbers'], ['+385800100', '*'], 'or as texts separated by commas');
  t.same(loadModuleSettings([carrier], {}, { JUNCTION_TEST_CARRIER_NUMBERS: 'one-secret' })['test-carrier']?.['numbers'], ['one-secret'], 'one item alone');
  const broken = errorOf(() => loadModuleSettings([carrier], {}, { JUNCTION_TEST_CARRIER_NUMBERS: '["+385800100"' })) as { details: { problems: unknown[] } };
  t.same(broken.details.problems, [{ code: 'JCT_CONFIG_INVALID', path: '$.modules.test-carrier.numbers', message: 'JUNCTION_TEST_CARRIER_NUMBERS must be JSON (a list)' }], 'a broken JSON list is one problem, not two');
  for (const retries of ['', '1e3', '0x10', 'true']) {
    t.match(errorOf(() => loadModuleSettings([carrier], {}, { JUNCTION_TEST_CARRIER_RETRIES: retries })), { details: { problems: [{ path: '$.modules.test-carrier.retries', message: 'Expected integer (set by JUNCTION_TEST_CARRIER_RETRIES)' }] } }, `${JSON.stringify(retries)} is not a number`);
  }
  t.match(errorOf(() => loadModuleSettings([carrier], {}, { JUNCTION_TEST_CARRIER_SANDBOX: '' })), { details: { problems: [{ path: '$.modules.test-carrier.sandbox' }] } }, '"" is not false');
});

t.test('a problem with a value from the environment names its variable', async (t) => {
  t.match(errorOf(() => loadModuleSettings([carrier], { 'test-carrier': { retries: -1 } }, { JUNCTION_TEST_CARRIER_AUTH_TOKEN: 'short' })), {
    details: {
      problems: [
        { path: '$.modules.test-carrier.retries', message: /^[^(]*$/ },
        { path: '$.modules.test-carrier.authToken', message: / \(set by JUNCTION_TEST_CARRIER_AUTH_TOKEN\)$/ },
      ],
    },
  });
});

t.test('a configuration file carries module sections', async (t) => {
  const dir = t.testdir({ 'junction.json': JSON.stringify({ modules: { 'test-carrier': { retries: 0 } } }) });
  const config = loadConfig({}, `${dir}/junction.json`);
  t.same(loadModuleSettings([carrier], config.modules, {})['test-carrier']?.['retries'], 0);
  t.same(loadConfig({}).modules, {});
});

t.test('every problem is named with its path, and no value is repeated in the message', async (t) => {
  const err = errorOf(() =>
    loadModuleSettings([carrier], { 'test-carrier': { retries: -1, authToken: 'short' }, nosuch: {} }, { JUNCTION_TEST_CARRIER_SANDBOX: 'maybe' }),
  ) as { code: string; message: string; details: { problems: Array<{ path: string }> } };
  t.equal(err.code, 'JCT_CONFIG_INVALID');
  t.same(err.details.problems.map((p) => p.path).sort(), [
    '$.modules.nosuch',
    '$.modules.test-carrier.authToken',
    '$.modules.test-carrier.retries',
    '$.modules.test-carrier.sandbox',
  ]);
  t.notMatch(err.message, /short/, 'the rejected secret is not echoed');
  t.match(err.message, /no module "nosuch"/);
});

t.test('a secret that is too short says how long it must be', async (t) => {
  const err = errorOf(() => loadModuleSettings([carrier], {}, { JUNCTION_TEST_CARRIER_AUTH_TOKEN: 'short' })) as { details: { problems: Array<{ path: string; message: string }> } };
  t.same(err.details.problems, [{ code: 'JCT_CONFIG_INVALID', path: '$.modules.test-carrier.authToken', message: 'Expected at least 8 characters (set by JUNCTION_TEST_CARRIER_AUTH_TOKEN)' }]);
});

t.test('a misspelt module setting is named, with the settings the module has', async (t) => {
  const err = errorOf(() => loadModuleSettings([carrier], { 'test-carrier': { authTokn: 'x' } }, {})) as { details: { problems: Array<{ path: string; message: string }> } };
  t.same(err.details.problems, [
    { code: 'JCT_CONFIG_INVALID', path: '$.modules.test-carrier.authTokn', message: 'unknown setting "authTokn"; the settings here are baseUrl, retries, sandbox, authToken, numbers' },
  ]);
});

t.test('JUNCTION_ variables that set nothing are found, each with the variable it likely meant', async (t) => {
  const env = { JUNCTION_DATADIR: 'x', JUNCTION_TESTCARRIER_RETRIES: '1', JUNCTION_NOPE: '1', JUNCTION_PORT: '1', DATABASE_URL: 'postgres://db/x', JUNCTION_TEST_CARRIER_SANDBOX: 'yes', HOME: '/root' };
  t.same(unknownVariables([carrier], env), [
    { name: 'JUNCTION_DATADIR', meant: 'JUNCTION_DATA_DIR' },
    { name: 'JUNCTION_TESTCARRIER_RETRIES', meant: 'JUNCTION_TEST_CARRIER_RETRIES' },
    { name: 'JUNCTION_NOPE' },
  ]);
});

t.test('secrets become redaction paths under the logged object', async (t) => {
  t.same(secretPaths([carrier], 'config.modules'), ['config.modules["test-carrier"]["authToken"]']);
});

t.test("each problem carries its code; a value missing a setting's pattern is explained by the setting's description", async (t) => {
  const spec: SettingsSpec = { name: 'edge', schema: Type.Object({ base: Type.String({ pattern: '^https?://[^/]+$', description: 'a scheme and host' }) }), secrets: [] };
  t.match(errorOf(() => loadModuleSettings([spec], { edge: { base: 'ftp://x' } }, {})), {
    details: { problems: [{ code: 'JCT_CONFIG_INVALID', path: '$.modules.edge.base', message: 'Expected a scheme and host' }] },
  });
});

t.test("a provider's numbers are written as flows' senders become once normalized, else the start is refused naming each", async (t) => {
  const spec: SettingsSpec = { name: 'twilio', ...twilio.config! };
  const good = ['+15550100', 'sms:+15550101', '12345', 'MyShop', 'ACME Shop', 'sms:My Shop 24', 'help@example.com', '*'];
  t.same(loadModuleSettings([spec], { twilio: { numbers: good } }, {})['twilio']!['numbers'], good);
  t.match(errorOf(() => loadModuleSettings([spec], { twilio: { numbers: ['+1 555 0100', 'whatsapp+15550100', 'Help@Example.com', '1 555 0100', 'ACME Shop Online', ' ACME'] } }, {})), {
    details: {
      problems: [
        { code: 'JCT_CONFIG_INVALID', path: '$.modules.twilio.numbers.0', message: /^Expected a number in E\.164 without spaces/ },
        { path: '$.modules.twilio.numbers.1' },
        { path: '$.modules.twilio.numbers.2' },
        { path: '$.modules.twilio.numbers.3' },
        { path: '$.modules.twilio.numbers.4' },
        { path: '$.modules.twilio.numbers.5' },
      ],
    },
  });
});

t.test('a dataPath setting is a path inside the data directory unless absolute', async (t) => {
  const spec = { name: 'recorder', secrets: [], schema: Type.Object({ dir: Type.String({ default: 'recordings', dataPath: true }), other: Type.String({ default: 'plain' }) }) };
  t.same(loadModuleSettings([spec], {}, {}, '/var/lib/junction')['recorder'], { dir: '/var/lib/junction/recordings', other: 'plain' }, 'the default, inside the data directory; other settings as they are');
  t.same(loadModuleSettings([spec], { recorder: { dir: '/srv/audio' } }, {}, '/var/lib/junction')['recorder']?.['dir'], '/srv/audio', 'an absolute path stays');
  t.same(loadModuleSettings([spec], {}, { JUNCTION_RECORDER_DIR: 'voice' }, 'data')['recorder']?.['dir'], 'data/voice', 'relative to a relative data directory');
});

t.test('the email TLS files named in a configuration file are taken from its folder, like its other paths; from a variable, from the current directory', async (t) => {
  const folder = t.testdir({ 'junction.json': JSON.stringify({ dataDir: 'state', modules: { email: { tlsKeyFile: 'tls/key.pem', tlsCertFile: '/etc/ssl/cert.pem' } } }) });
  const file = join(folder, 'junction.json');
  const config = loadConfig({}, file);
  const email = assembleRegistry(config, {}, file).settings('email');
  t.equal(config.dataDir, join(folder, 'state'), 'the data directory: from the file’s folder');
  t.equal(email['tlsKeyFile'], join(folder, 'tls/key.pem'), 'the key: from the file’s folder too');
  t.equal(email['tlsCertFile'], '/etc/ssl/cert.pem', 'an absolute path stays');
  const fromEnv = assembleRegistry(config, { JUNCTION_EMAIL_TLS_KEY_FILE: 'key.pem' }, file).settings('email');
  t.equal(fromEnv['tlsKeyFile'], 'key.pem', 'a variable’s path is the current directory’s');
});

t.test('two providers listing one sender alike for a channel both send stop the start naming it; a channel entry beside a bare one does not', async (t) => {
  const start = (env: NodeJS.ProcessEnv) => assembleRegistry(loadConfig(env), env);
  const bare = errorOf(() => start({ JUNCTION_TWILIO_NUMBERS: '["+15550100"]', JUNCTION_META_WHATSAPP_NUMBERS: '["+15550100"]' }));
  t.match(bare, {
    code: 'JCT_CONFIG_INVALID',
    details: { problems: [{ code: 'JCT_CONFIG_INVALID', path: '$.modules.meta-whatsapp.numbers', message: /^"\+15550100" is listed by both twilio and meta-whatsapp, which both send whatsapp: .*list "whatsapp:\+15550100" under the one that should send whatsapp from it/ }] },
  });
  t.equal((bare as { details: { problems: unknown[] } }).details.problems.length, 1, 'SMS is only twilio’s: no problem there');
  const stars = errorOf(() => start({ JUNCTION_TWILIO_NUMBERS: '["*"]', JUNCTION_PLIVO_NUMBERS: '["*"]' })) as { details: { problems: Array<{ message: string }> } };
  t.same(stars.details.problems.map((p) => p.message.split(':')[0]), ['"*" is listed by both twilio and plivo, which both send sms', '"*" is listed by both twilio and plivo, which both send whatsapp'], 'two "*" for the channels both send');
  const split = start({ JUNCTION_TWILIO_NUMBERS: '["+15550100"]', JUNCTION_META_WHATSAPP_NUMBERS: '["whatsapp:+15550100"]', JUNCTION_GENERIC_NUMBERS: '["*"]', JUNCTION_PLIVO_NUMBERS: '["sms:+15550101"]' });
  t.same(split.settings('meta-whatsapp')['numbers'], ['whatsapp:+15550100'], 'a channel entry beside a bare one, and one "*", start');
  const email = errorOf(() => start({ JUNCTION_EMAIL_NUMBERS: '["news@example.com"]', JUNCTION_GENERIC_NUMBERS: '["news@example.com"]' }));
  t.match(email, { details: { problems: [{ path: '$.modules.generic.numbers', message: /^"news@example\.com" is listed by both email and generic, which both send email/ }] } }, 'the email module is a provider too');
});
