// `junction copy-embedded` as an operator runs it: `junction start` (the built command) on the
// embedded store holds people inside a flow waiting for an event, and an API key made with
// `junction keys create`; the copy is refused while it runs (it holds the data directory's
// lock); once it stopped, the store and the key are copied into PostgreSQL, and `junction start`
// on PostgreSQL serves them: each person found by phone, an event moves their participant on,
// the key is accepted. A second copy into the same schema is refused, and so is a data
// directory holding no store.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startJunction } from './junction-process.js';
import { json, servedAndMovedOn, stopped, waitingPeople } from './waiting-people.js';
import { env as startEnv } from './start-env.js';
import { copyEmbeddedCommand } from '../../bin/commands/move-store.js';
import { keysCommand } from '../../bin/commands/keys.js';
import { PG_URL, tempSchema, unlessPostgres } from '../engine/store/postgres-service.js';

const PEOPLE = 8;
const PHONES = Array.from({ length: PEOPLE }, (_, i) => `+1415555${String(4000 + i * 19)}`);

const skip = await unlessPostgres(t);

async function copied(env: NodeJS.ProcessEnv): Promise<string[]> {
  const lines: string[] = [];
  await copyEmbeddedCommand(undefined, undefined, env, (line) => lines.push(line));
  return lines;
}

t.test('an embedded store and its API keys copied into PostgreSQL are served from there', { skip }, async (t) => {
  const dataDir = t.testdir();
  const embedded = { ...startEnv(dataDir), JUNCTION_FLOWS: '', JUNCTION_PEOPLE: '' };
  const one = startJunction(embedded);
  t.teardown(() => one.child.kill('SIGKILL'));
  const people = await waitingPeople(t, await one.address, PHONES);
  const keyLines: string[] = [];
  await keysCommand(['create'], { name: 'crm', scopes: 'people' }, embedded, (line) => keyLines.push(line));
  const secret = keyLines.map((line) => /^jk_\S+$/.exec(line)?.[0]).find(Boolean)!;
  t.ok(secret, `a key was made: ${keyLines.join(' | ')}`);

  const postgres = { ...embedded, DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: tempSchema(t, 'copy_cmd') };
  await t.rejects(copied(postgres), { code: 'JCT_DATA_DIR_LOCKED', message: /is in use by another Junction process/ }, 'refused while a process runs on the data directory');
  t.equal(await stopped(one), 0);
  t.match((await copied(postgres)).slice(-2), [new RegExp(`^embedded .+ → postgres .*: copied \\(${PEOPLE} people; ${PEOPLE} participants; \\d+ rows; 0 directory rows\\)$`), /is left as it was$/]);

  const two = startJunction(postgres);
  t.teardown(() => two.child.kill('SIGKILL'));
  const served = await two.address;
  await servedAndMovedOn(t, [served], people, PHONES);
  t.same((await json(`${served}/api/v1/people/${people[0]!}`, {}, { authorization: `Bearer ${secret}` })).body.tags, ['bought'], 'the API key made on the embedded store is accepted');
  t.equal(await stopped(two), 0);

  await t.rejects(copied(postgres), { code: 'JCT_MOVE_REFUSED', message: /already holds a store/ }, 'never copied over a store');
  const nothing = mkdtempSync(join(tmpdir(), 'copy-embedded-none-'));
  t.teardown(() => rmSync(nothing, { recursive: true, force: true }));
  await t.rejects(copyEmbeddedCommand(nothing, undefined, postgres, () => {}), { code: 'JCT_MOVE_REFUSED', message: /no embedded store in .* \(no junction\.db\)/ });
});
