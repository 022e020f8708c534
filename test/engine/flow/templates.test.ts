// Flow templates: the built-in ones (the package's example flows) and ones saved from flows,
// listed by id; a draft made from a template is an independent flow; saved templates are
// deleted and survive a restart, built-in ones stay; older stores open with the new table.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Engine } from '../../../engine/runtime/engine.js';
import { VirtualClock } from '../../../engine/clock.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { batchOf, GroupCommit, MemoryBackend } from '../../../engine/store/journal.js';
import { DB_FILE, SCHEMA_VERSION, SqliteBackend } from '../../../engine/store/sqlite.js';
import { loadPeople } from '../../../engine/people-file.js';
import { assembleRegistry } from '../../../bin/modules.js';
import { BUILT_IN_TEMPLATES, builtInTemplates } from '../../../bin/templates.js';
import { flow, pauseDays } from '../helpers.js';

const registry = assembleRegistry();
const people = JSON.parse(fs.readFileSync('examples/people.json', 'utf8')) as unknown;

/** An engine as `junction start` makes one: the examples' people, the built-in templates. */
function engineOn(backend: MemoryBackend, clock = new VirtualClock('2026-01-05T09:00:00Z')): Engine {
  const store = new MemoryPeopleStore(clock);
  loadPeople(people, store);
  return new Engine({ clock, people: store, registry, journal: new GroupCommit(backend, { flushMs: 0 }), templates: builtInTemplates() });
}

t.test('the example flows ship as built-in templates, and drafts from them compile and launch', async (t) => {
  const engine = engineOn(new MemoryBackend());
  t.same([...engine.templates().after()].map(([, x]) => [x.id, x.builtIn]), [...BUILT_IN_TEMPLATES].sort().map((id) => [id, true]));
  t.match(engine.template('welcome'), { name: 'Welcome sequence', description: /^New sign-ups/, savedAt: undefined });
  for (const id of BUILT_IN_TEMPLATES) {
    const draft = engine.draftFromTemplate(id, `my-${id}`);
    t.match(draft, { id: `my-${id}`, version: 1, status: 'draft' });
    t.same(engine.validate(draft.definition), [], `${id} compiles`);
    t.equal(engine.launch(`my-${id}`).status, 'active');
  }
  await engine.close();
});

t.test('a flow saved as a template; a draft from it is an independent flow', async (t) => {
  const engine = engineOn(new MemoryBackend());
  const clock = engine.clock as VirtualClock;
  engine.save(flow('f', [pauseDays('p', 1)]));
  engine.launch('f');
  engine.save(flow('f', [pauseDays('p', 2)]));
  const saved = engine.saveTemplate('f', 'two-day-pause', { description: 'waits two days' });
  t.match(saved, { id: 'two-day-pause', name: 'f', description: 'waits two days', builtIn: false, savedAt: clock.now() });
  t.match(saved.definition.elements, [{ config: { duration: { amount: 2 } } }], 'the newest version by default');
  t.match(engine.saveTemplate('f', 'one-day-pause', { name: 'One day', version: 1 }), { name: 'One day', definition: { elements: [{ config: { duration: { amount: 1 } } }] } });
  t.same([...engine.templates().after()].map(([, x]) => x.id), ['abandoned-cart', 'appointment-reminder', 'one-day-pause', 'two-day-pause', 'welcome'], 'built-in and saved, by id');

  const draft = engine.draftFromTemplate('two-day-pause', 'g');
  t.match(draft, { id: 'g', version: 1, status: 'draft', definition: { id: 'g' } });
  engine.save({ ...draft.definition, name: 'edited', elements: [pauseDays('p', 5)] });
  t.match(engine.template('two-day-pause'), { definition: { id: 'f', name: 'f', elements: [{ config: { duration: { amount: 2 } } }] } }, 'editing the draft leaves the template alone');
  engine.launch('g');
  engine.launch('f');
  await engine.enter('f', 'ana');
  t.equal(engine.metrics('f').profilesInFlow, 1);
  t.equal(engine.metrics('g').profilesInFlow, 0, 'its metrics are its own');
  t.match(engine.draftFromTemplate('two-day-pause', 'h').definition, { name: 'f' }, 'a second draft from the same template');

  t.throws(() => engine.draftFromTemplate('two-day-pause', 'f'), { code: 'JCT_FLOW_EXISTS' }, 'as duplicate refuses an existing flow');
  t.throws(() => engine.draftFromTemplate('nope', 'x'), { code: 'JCT_TEMPLATE_UNKNOWN' });
  t.throws(() => engine.saveTemplate('f', 'welcome'), { code: 'JCT_TEMPLATE_EXISTS' }, 'a built-in id is taken');
  t.throws(() => engine.saveTemplate('f', 'two-day-pause'), { code: 'JCT_TEMPLATE_EXISTS' });
  t.throws(() => engine.saveTemplate('f', 'no spaces'), { code: 'JCT_TEMPLATE_ID' });
  t.throws(() => engine.saveTemplate('nope', 'x'), { code: 'JCT_FLOW_UNKNOWN' });
  t.throws(() => engine.saveTemplate('f', 'x', { version: 9 }), { code: 'JCT_VERSION_UNKNOWN' });
  await engine.close();
});

t.test('saved templates are deleted, built-in ones refuse; both survive a restart as they were', async (t) => {
  const backend = new MemoryBackend();
  const a = engineOn(backend);
  a.save(flow('f', [pauseDays('p', 1)]));
  a.saveTemplate('f', 'kept');
  a.saveTemplate('f', 'gone');
  a.deleteTemplate('gone');
  t.equal(a.template('gone'), undefined);
  t.throws(() => a.deleteTemplate('welcome'), { code: 'JCT_TEMPLATE_BUILT_IN' });
  t.throws(() => a.deleteTemplate('gone'), { code: 'JCT_TEMPLATE_UNKNOWN' });
  await a.close();
  t.same([...backend.tables.get('template')!.keys()], ['kept'], 'only saved templates are journaled');

  const b = engineOn(backend, new VirtualClock(a.clock.now()));
  b.recover(backend);
  t.same([...b.templates().after()], [...a.templates().after()], 'the same templates after the restart');
  t.match(b.draftFromTemplate('kept', 'k'), { id: 'k', status: 'draft' });
  await b.close();
});

t.test('a store of schema version 3 (before the template table) opens and gets the table', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'junction-templates-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  new SqliteBackend({ dir }).close();
  const raw = new Database(path.join(dir, DB_FILE));
  raw.exec('DROP TABLE "template"');
  raw.pragma('user_version = 3');
  raw.close();
  const upgraded = new SqliteBackend({ dir });
  upgraded.commit(batchOf([{ table: 'template', key: 'kept', value: { id: 'kept' } }]));
  t.same([...upgraded.load('template')], [['kept', { id: 'kept' }]]);
  upgraded.close();
  const check = new Database(path.join(dir, DB_FILE));
  t.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  check.close();
});
