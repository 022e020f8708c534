import '../child-processes.js';
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { main } from '../../bin/junction.js';
import { flow } from '../engine/helpers.js';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

t.test('validate: a valid flow exits 0', async (t) => {
  const r = await run('validate', 'examples/flows/welcome.json', '--people', 'examples/people.json');
  t.equal(r.code, 0);
  t.match(r.out, /welcome\.json: valid/);
});

t.test('validate: every problem is listed and the exit code is 1', async (t) => {
  const dir = t.testdir({
    'bad.json': JSON.stringify({
      schemaVersion: 1,
      id: 'bad',
      name: 'Bad',
      entryPoints: [{ id: 'start', type: 'flowApi', config: {}, branches: { next: 'nowhere' } }],
      elements: [{ id: 'p', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'fortnights' } } }],
    }),
  });
  const r = await run('validate', `${dir}/bad.json`);
  t.equal(r.code, 1);
  t.match(r.out, /2 problems/);
  t.match(r.out, /\$\.entryPoints\[0\]\.branches\.next {2}JCT_BRANCH_TARGET_UNKNOWN/);
  t.match(r.out, /\$\.elements\[0\]\.config\.duration\.unit {2}JCT_CONFIG_INVALID .* \(element "p"\)/);
  t.notMatch(r.out + r.err, /\n\s+at /, 'no stack trace');
});

t.test('validate: custom attributes need the people file that defines them; the shipped examples find it by themselves', async (t) => {
  t.same(await run('validate', 'examples/flows/re-engagement.json'), { code: 0, out: 'examples/flows/re-engagement.json: valid', err: '' });
  const dir = t.testdir({ 'people.json': '{}' });
  const r = await run('validate', 'examples/flows/re-engagement.json', '--people', `${dir}/people.json`);
  t.equal(r.code, 1);
  t.match(r.out, /JCT_ATTRIBUTE_UNKNOWN .*lifetimeValue/);
});

t.test('validate: custom events come from the people file, like custom attributes; every shipped example is valid', async (t) => {
  for (const name of ['abandoned-cart', 'birthday', 'welcome', 're-engagement']) {
    const file = `examples/flows/${name}.json`;
    t.same(await run('validate', file, '--people', 'examples/people.json'), { code: 0, out: `${file}: valid`, err: '' });
  }
  const dir = t.testdir({ 'people.json': '{}' });
  const r = await run('validate', 'examples/flows/birthday.json', '--people', `${dir}/people.json`);
  t.equal(r.code, 1);
  t.match(r.out, /JCT_EVENT_UNKNOWN .*"purchase"/);
});

t.test('validate: an audience naming a segment the people file does not define is a problem; without a people file segments are not checked', async (t) => {
  const audience = { id: 'aud', type: 'predefinedAudience', config: { audience: { segments: ['gold', 'ghost'] }, updateAfterLaunch: 'never' }, branches: { next: 'p' } };
  const dir = t.testdir({
    'flow.json': JSON.stringify({ ...flow('aud', [{ id: 'p', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'days' } } }]), entryPoints: [audience] }),
    'people.json': JSON.stringify({ segments: [{ id: 'gold', name: 'Gold', kind: 'static', members: [] }] }),
    'junction.json': JSON.stringify({ people: '' }),
  });
  const r = await run('validate', `${dir}/flow.json`, '--people', `${dir}/people.json`);
  t.equal(r.code, 1);
  t.match(r.out, /1 problem\n {2}\$\.entryPoints\[0\]\.config\.audience\.segments\[1\] {2}JCT_SEGMENT_UNKNOWN {2}no segment with id "ghost"/);
  t.same(await run('validate', `${dir}/flow.json`), { code: 0, out: `${dir}/flow.json: valid`, err: '' }, 'no people file: the segments are not known');
});

t.test('bad input: malformed JSON, missing file, unknown command, missing argument', async (t) => {
  const dir = t.testdir({ 'broken.json': '{\n  "schemaVersion": 1,\n  "id": }' });
  const broken = await run('validate', `${dir}/broken.json`);
  t.equal(broken.code, 2);
  t.match(broken.err, /^error JCT_JSON_INVALID: .*broken\.json:3:\d+: not valid JSON/);
  const missing = await run('validate', `${dir}/nope.json`);
  t.equal(missing.code, 2);
  t.match(missing.err, /error JCT_FILE_UNREADABLE: cannot read .*nope\.json: no such file/);
  t.match((await run('validate', dir)).err, /^error JCT_FILE_UNREADABLE: cannot read .*: it is a folder; give a file$/);
  const usageErrors: Array<[string[], RegExp]> = [
    [['frobnicate'], /^error JCT_USAGE: unknown command "frobnicate"\nusage:/],
    [['validate'], /^error JCT_USAGE: validate needs a flow file: junction validate FLOW\.json\nusage:/],
    [['simulate'], /^error JCT_USAGE: simulate needs a flow file: junction simulate FLOW\.json\nusage:/],
    [['validate', 'x', '--bogus'], /^error JCT_USAGE: Unknown option '--bogus'\nusage:/],
    [['simulate', 'x', '--events'], /^error JCT_USAGE: Option '--events <value>' argument missing\nusage:/],
    [['validate', 'examples/flows/welcome.json', 'examples/flows/birthday.json'], /^error JCT_USAGE: unexpected argument "examples\/flows\/birthday\.json": validate takes one flow file \(run it once per file\)\nusage:/],
    [['simulate', 'examples/flows/welcome.json', 'examples/events/welcome.jsonl'], /^error JCT_USAGE: unexpected argument "examples\/events\/welcome\.jsonl": simulate takes one flow file\nusage:/],
    [['schema', 'out.json'], /^error JCT_USAGE: unexpected argument "out\.json": schema takes no arguments\nusage:/],
    [['start', 'now'], /^error JCT_USAGE: unexpected argument "now": start takes no arguments\nusage:/],
  ];
  for (const [args, said] of usageErrors) {
    const r = await run(...args);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.err, said, 'a wrong command line says what is wrong, as `error JCT_USAGE: …`, before the usage');
  }
  t.equal((await run()).code, 2);
  const help = await run('--help');
  t.equal(help.code, 0);
  t.match(help.out, /junction simulate FLOW\.json/);
  t.same(await run('help'), help, '`junction help` is --help');
  t.same(await run('help', 'validate'), help, '`junction help validate` too');
  const version = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  t.same(await run('--version'), { code: 0, out: `junction ${version.version}`, err: '' });
  t.equal((await run('-v')).out, `junction ${version.version}`);
});

t.test('simulate: paths and metrics as text', async (t) => {
  const r = await run('simulate', 'examples/flows/welcome.json', '--people', 'examples/people.json', '--events', 'examples/events/welcome.jsonl');
  t.equal(r.code, 0);
  t.match(r.out, /Flow welcome \(Europe\/Zagreb\)/);
  t.match(r.out, /\n[0-9a-z]+\.[0-9a-z]+ {2}person ana\n {2}2026-02-02 09:15 GMT\+1 \(08:15 UTC\) {2}signup \(flowApi\)/, 'participant ids are <partition>.<sequence>; local time and UTC');
  t.match(r.out, /People at the end\n {2}ana\n {4}tags: activated\n {4}contacts: \+385912345678, ana.horvat@example.com\n {4}attributes: firstName "Ana"/, "the people as they ended: tags, contacts, attributes");
  t.match(r.out, /→ exited: record-variant\.next\.exit/);
  t.match(r.out, /not entered: person ana .*JCT_PERSON_IN_FLOW/);
  t.match(r.out, /three-days +pause +2 +2 +0/);
  t.match(r.out, /\npeople \(each counted once\): 2 entered, 1 reached the goal\nparticipants \(one per entry\): 2 in all, 2 reached an exit, 0 left otherwise, 0 still inside$/);
});

t.test('simulate: the summary counts people and participants apart, each figure saying which', async (t) => {
  const birthday = await run('simulate', 'examples/flows/birthday.json', '--people', 'examples/people.json', '--events', 'examples/events/birthday.jsonl');
  t.match(birthday.out, /\npeople \(each counted once\): 4 entered, 2 reached the goal\nparticipants \(one per entry\): 11 in all, 11 reached an exit, 0 left otherwise, 0 still inside\nmessages sent/, 'people who entered again are one person, several participants');
  const ivr = await run('simulate', 'examples/flows/ivr-menu.json', '--people', 'examples/people.json', '--events', 'examples/events/ivr-menu.jsonl');
  t.match(ivr.out, /\nparticipants \(one per entry\): 3 in all, 2 reached an exit, 1 left otherwise, 0 still inside$/, 'a caller who hung up left without reaching an exit');
});

t.test('simulate: an IVR element reachable without a call is named as the element, not its config', async (t) => {
  const dir = t.testdir({
    'f.json': JSON.stringify(flow('f', [{ id: 'hello', type: 'say', config: { text: 'hi' } }])),
  });
  const r = await run('simulate', `${dir}/f.json`);
  t.equal(r.code, 2);
  t.match(r.err, /\n {2}\$\.elements\[0\] {2}JCT_IVR_NO_CALL {2}an IVR element needs a call/);
});

t.test('simulate: --json, --start and --until', async (t) => {
  const r = await run('simulate', 'examples/flows/welcome.json', '--people', 'examples/people.json', '--events', 'examples/events/welcome.jsonl', '--until', '2026-02-04T00:00:00Z', '--json');
  t.equal(r.code, 0);
  const report = JSON.parse(r.out);
  t.equal(report.end, Date.parse('2026-02-04T00:00:00Z'));
  t.match(report.participants[0], { personId: 'ana', outcome: 'waiting', waitingAt: 'three-days' });
  t.match(report, { start: Date.parse('2026-02-02T08:15:00Z'), startIso: '2026-02-02T09:15:00.000+01:00', endIso: '2026-02-04T01:00:00.000+01:00' }, 'times in epoch ms and ISO 8601 with the flow offset');
  t.same(report.participants[0].path[0], { at: Date.parse('2026-02-02T08:15:00Z'), atIso: '2026-02-02T09:15:00.000+01:00', element: 'signup', type: 'flowApi' });
  t.match(report.participants[0], { until: Date.parse('2026-02-06T09:00:00Z'), untilIso: '2026-02-06T10:00:00.000+01:00' });
  t.match(report.rejected[0], { at: Date.parse('2026-02-02T18:05:00Z'), atIso: '2026-02-02T19:05:00.000+01:00', person: 'ana' });
  const bad = await run('simulate', 'examples/flows/welcome.json', '--start', 'yesterday');
  t.equal(bad.code, 2);
  t.match(bad.err, /JCT_USAGE/);
});

t.test("simulate: times without an offset are read in the flow's time zone, whatever the machine's", async (t) => {
  const dir = t.testdir({ 'events.jsonl': '{"at":"2026-02-02T09:15","type":"enter","person":"ana"}\n' });
  const r = await run('simulate', 'examples/flows/welcome.json', '--people', 'examples/people.json', '--events', `${dir}/events.jsonl`, '--until', '2026-02-03T10:00', '--json');
  t.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out);
  t.equal(report.participants[0].path[0].at, Date.parse('2026-02-02T08:15:00Z'), '09:15 in Zagreb');
  t.equal(report.end, Date.parse('2026-02-03T09:00:00Z'), '--until 10:00 in Zagreb');
});

t.test('simulate: an element that fails says why, under its line of the path', async (t) => {
  const divide = { id: 'divide', type: 'updateVariable', config: { updates: [{ variable: 'n', formula: 'n / 0' }] } };
  const doc = flow('f', [divide], { variables: [{ name: 'n', type: 'whole', default: 1 }] });
  const dir = t.testdir({ 'f.json': JSON.stringify(doc), 'people.json': '{}', 'events.jsonl': '{"at":"2026-02-02T08:00:00Z","type":"enter","person":"ana"}\n' });
  const r = await run('simulate', `${dir}/f.json`, '--people', `${dir}/people.json`, '--events', `${dir}/events.jsonl`);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /divide \(updateVariable\)\n {6}failed: JCT_EXPRESSION_FAILED: variable "n": /);
  const json = JSON.parse((await run('simulate', `${dir}/f.json`, '--people', `${dir}/people.json`, '--events', `${dir}/events.jsonl`, '--json')).out);
  t.match(json.participants[0].path[1], { element: 'divide', failure: /^JCT_EXPRESSION_FAILED: / });
});

t.test('simulate: an entry the frequency cap refuses is listed, whatever started it', async (t) => {
  const doc = flow('f', [{ id: 'wait', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'days' } } }], { reentry: { enabled: false } });
  doc['entryPoints'] = [{ id: 'offer', type: 'changeInProfile', config: { attribute: 'winbackOffer', operator: 'greaterThan', value: 5 }, branches: { next: 'wait' } }];
  const set = (at: string, value: number) => JSON.stringify({ at, type: 'profile', person: 'ana', changes: [{ op: 'set', attribute: 'winbackOffer', value }] });
  const dir = t.testdir({ 'f.json': JSON.stringify(doc), 'events.jsonl': [set('2026-02-02T08:00:00Z', 10), set('2026-02-02T09:00:00Z', 1), set('2026-02-02T10:00:00Z', 20)].join('\n') });
  const r = await run('simulate', `${dir}/f.json`, '--people', 'examples/people.json', '--events', `${dir}/events.jsonl`);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /\nnot entered: person ana at 2026-02-02 10:00 UTC: JCT_PERSON_IN_FLOW\n/);
});

t.test('simulate: an enter event adds people as the Flow API does, through a Flow API entry point only', async (t) => {
  const doc = flow('f', [{ id: 'wait', type: 'pause', config: { kind: 'forPeriod', duration: { amount: 1, unit: 'days' } } }]);
  const purchase = { id: 'bought', type: 'realTimeEvent', config: { conditions: [{ event: 'purchase', happened: true }] }, branches: { next: 'wait' } };
  const enter = (person: string, entry?: string) => JSON.stringify({ at: '2026-02-02T08:00:00Z', type: 'enter', person, ...(entry ? { entry } : {}) });
  const dir = t.testdir({
    'both.json': JSON.stringify({ ...doc, entryPoints: [...(doc['entryPoints'] as unknown[]), purchase] }),
    'event-only.json': JSON.stringify({ ...doc, entryPoints: [purchase] }),
    'events.jsonl': [enter('ana'), enter('dan', 'bought')].join('\n'),
  });
  const both = await run('simulate', `${dir}/both.json`, '--people', 'examples/people.json', '--events', `${dir}/events.jsonl`, '--json');
  t.equal(both.code, 0, both.err);
  const report = JSON.parse(both.out);
  t.match(report.participants, [{ personId: 'ana', path: [{ element: 'start' }, { element: 'wait' }] }], 'the Flow API entry point, not "ambiguous" beside an event entry point');
  t.match(report.rejected, [{ person: 'dan', reason: /^JCT_ENTRY_UNKNOWN: .*"bought"/ }], 'an event entry point is not one people can be added through');
  const none = JSON.parse((await run('simulate', `${dir}/event-only.json`, '--people', 'examples/people.json', '--events', `${dir}/events.jsonl`, '--json')).out);
  t.equal(none.participants.length, 0);
  t.match(none.rejected, [{ person: 'ana', reason: /^JCT_ENTRY_NONE: / }, { person: 'dan' }]);
});

t.test('simulate: a broken event line is reported with its line number', async (t) => {
  const dir = t.testdir({ 'events.jsonl': '{"at":"2026-02-02T08:00:00Z","type":"enter","person":"ana"}\n{"at":"2026-02-02","type":"teleport"}\n' });
  const r = await run('simulate', 'examples/flows/welcome.json', '--people', 'examples/people.json', '--events', `${dir}/events.jsonl`);
  t.equal(r.code, 2);
  t.match(r.err, /error JCT_EVENTS_INVALID: event 2:/);
});

t.test('simulate: an event line that is not JSON is named by its line and column in the file', async (t) => {
  const dir = t.testdir({ 'events.jsonl': '{"at":"2026-02-02T08:00:00Z","type":"enter","person":"ana"}\n\n{"at": oops}\n' });
  const r = await run('simulate', 'examples/flows/welcome.json', '--people', 'examples/people.json', '--events', `${dir}/events.jsonl`);
  t.equal(r.code, 2);
  t.match(r.err, /^error JCT_JSON_INVALID: .*events\.jsonl:3:8: not valid JSON \(InvalidSymbol\)$/);
});

t.test('simulate: an event of an unknown type names every type, not only the first', async (t) => {
  const dir = t.testdir({ 'typo.jsonl': '{"at":"2026-02-02T08:00:00Z","type":"entr","person":"ana"}\n', 'none.jsonl': '{"at":"2026-02-02T08:00:00Z","person":"ana"}\n' });
  const typo = await run('simulate', 'examples/flows/welcome.json', '--people', 'examples/people.json', '--events', `${dir}/typo.jsonl`);
  t.equal(typo.code, 2);
  t.match(typo.err, /^error JCT_EVENTS_INVALID: event 1:\n {2}\$\.type {2}JCT_EVENTS_INVALID {2}unknown event type "entr"; the types are enter, event, profile, message, report, call, webhook$/);
  const none = await run('simulate', 'examples/flows/welcome.json', '--people', 'examples/people.json', '--events', `${dir}/none.jsonl`);
  t.match(none.err, /^error JCT_EVENTS_INVALID: event 1:\n {2}\$\.type {2}JCT_EVENTS_INVALID {2}an event needs a type; the types are enter, /);
});

t.test('simulate: an --until before the start, or an event before --start, is refused instead of squashed onto the start', async (t) => {
  const early = await run('simulate', 'examples/flows/welcome.json', '--start', '2026-03-01T00:00Z', '--until', '2026-02-01T00:00Z');
  t.same(early, { code: 2, out: '', err: 'error JCT_USAGE: --until 2026-02-01T00:00:00.000Z is before the start of the simulation, 2026-03-01T00:00:00.000Z' });
  const late = await run('simulate', 'examples/flows/welcome.json', '--people', 'examples/people.json', '--events', 'examples/events/welcome.jsonl', '--start', '2026-06-01T00:00Z');
  t.same(late, { code: 2, out: '', err: 'error JCT_EVENTS_INVALID: an event at 2026-02-02T08:15:00Z comes before --start 2026-06-01T00:00:00.000Z: start earlier, or leave --start out to start at the first event' });
});

t.test('simulate: an invalid flow prints its problems', async (t) => {
  const dir = t.testdir({ 'f.json': JSON.stringify({ schemaVersion: 1, id: 'f', name: 'F', entryPoints: [{ id: 's', type: 'warp', config: {} }], elements: [] }) });
  const r = await run('simulate', `${dir}/f.json`);
  t.equal(r.code, 2);
  t.match(r.err, /error JCT_FLOW_INVALID: .*\n {2}\$\.entryPoints\[0\]\.type {2}JCT_ELEMENT_TYPE_UNKNOWN/);
});

t.test('schema: the generated JSON Schema covers every element and matches docs/flow.schema.json', async (t) => {
  const r = await run('schema');
  const schema = JSON.parse(r.out);
  t.equal(schema.title, 'Junction flow');
  const types = JSON.stringify(schema);
  for (const type of ['flowApi', 'predefinedAudience', 'segmentAudience', 'pause', 'updateProfile', 'splitAudience']) t.match(types, `"const":"${type}"`);
  t.ok(existsSync('docs/flow.schema.json'), 'docs/flow.schema.json exists');
  const { readFileSync } = await import('node:fs');
  t.same(JSON.parse(readFileSync('docs/flow.schema.json', 'utf8')), schema, 'docs/flow.schema.json is current (npm run docs)');
});

t.test('schema: a Call webhook header name validate refuses is refused by the JSON Schema too, so an editor flags it', async (t) => {
  const schema = JSON.parse((await run('schema')).out);
  const webhook = schema.properties.elements.items.anyOf.find((n: { properties: { type: { const: string } } }) => n.properties.type.const === 'callWebhook');
  const names = new RegExp(webhook.properties.config.properties.headers.propertyNames.pattern);
  t.ok(names.test('X-Api-Key') && names.test('Authorization'));
  t.notOk(names.test('Bad Header') || names.test('X:Key') || names.test(''));
  const dir = t.testdir({ 'f.json': JSON.stringify(flow('f', [{ id: 'hook', type: 'callWebhook', config: { url: 'https://crm.example', headers: { 'Bad Header': 'x' } } }])) });
  t.match((await run('validate', `${dir}/f.json`, '--people', 'examples/people.json')).out, /\$\.elements\[0\]\.config\.headers\["Bad Header"\] {2}JCT_WEBHOOK_HEADER_INVALID/, 'validate keeps its own explanation');
});

t.test('reference: elements, attributes, operators and functions, matching docs/reference.md', async (t) => {
  const r = await run('reference');
  t.equal(r.code, 0);
  for (const title of ['### Flow API — `flowApi`', '### Pause — `pause`', '### Segment audience — `segmentAudience`']) t.match(r.out, title);
  t.match(r.out, /\| date \| `is`, `isNot`, .*`willBeWithin`.*`wasToday`.*\|/);
  t.match(r.out, /\| `dateDiff\(timestamp, timestamp, string\): int` \|/);
  t.match(r.out, /\| `sms\.lastContactedAt` \| datetime \| channel \|/);
  t.match(r.out, /`splitAudience`\n\n.*\n\n\*\*Branches:\*\* `1`, `2`, … one per item of `branches`, in order \(in the example below: `1`, `2`\)\n/, 'branches the configuration names are described, not only the example\'s');
  t.match(r.out, /`segmentAudience`\n\n.*\n\n\*\*Branches:\*\* `1`, `2`, … one per segment, in order, then `else` \(in the example below: `1`, `2`, `else`\)\n/);
  t.match(r.out, /`pause`\n\n.*\n\n\*\*Branches:\*\* `next` · \*\*waits\*\*\n/, 'fixed branches are listed as they are');
  const { readFileSync } = await import('node:fs');
  t.match(r.out, /## Flow settings[\s\S]*`reentry`[\s\S]*`delay`[\s\S]*`limits`[\s\S]*`start`[\s\S]*`end`[\s\S]*`defaultFormula`/, 'the flow settings and their fields');
  t.equal(readFileSync('docs/reference.md', 'utf8'), `${r.out}\n`, 'docs/reference.md is current (npm run docs)');
});

t.test('the built command runs (dist/bin/junction.js)', async (t) => {
  const out = execFileSync(process.execPath, ['dist/bin/junction.js', 'validate', 'examples/flows/appointment-reminder.json', '--people', 'examples/people.json'], { encoding: 'utf8' });
  t.match(out, /valid/);
  const dir = t.testdir({});
  writeFileSync(`${dir}/empty.json`, '{}');
  const r = spawnSync(process.execPath, ['dist/bin/junction.js', 'validate', `${dir}/empty.json`], { encoding: 'utf8' });
  t.equal(r.status, 1);
  t.match(r.stdout, /JCT_SCHEMA_VERSION  schemaVersion must be 1/);
});

t.test('output piped into a reader that stops early (| head) ends quietly, without a stack trace', async (t) => {
  const simulate = `${process.execPath} --import tsx bin/junction.ts simulate examples/flows/birthday.json --events examples/events/birthday.jsonl`;
  const r = spawnSync('sh', ['-c', `${simulate} | head -1`], { encoding: 'utf8' });
  t.equal(r.stdout.split('\n').length, 2, 'one line read');
  t.equal(r.stderr, '');
});

t.test('a configuration with problems prints each once: the headline, then one line each with its code', async (t) => {
  const dir = t.testdir({ 'two.json': JSON.stringify({ port: 'x', sync: 'y' }), 'one.json': JSON.stringify({ port: 'x' }) });
  const two = await run('start', '--config', `${dir}/two.json`);
  t.equal(two.code, 2);
  t.equal(two.err, ['error JCT_CONFIG_INVALID: configuration is invalid:', '  $.port  JCT_CONFIG_INVALID  Expected integer', '  $.sync  JCT_CONFIG_INVALID  Expected one of "full", "normal"'].join('\n'));
  t.same(await run('start', '--config', `${dir}/one.json`), { code: 2, out: '', err: 'error JCT_CONFIG_INVALID: configuration is invalid:\n  $.port  JCT_CONFIG_INVALID  Expected integer' });
});
