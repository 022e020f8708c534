// What every dialect renders alike: a say whose text has no words (its placeholders rendered
// empty, e.g. an unknown caller's first name) is left out, alone and among a collect's prompts,
// since each platform refuses an empty one (Twilio: error 13520, the caller hears an
// application error).
import t from 'tap';
import { DIALECTS } from '../../ivr/dialects/index.js';
import type { Instruction } from '../../ivr/instructions.js';
import { collect, hookUrl, names, responseVerbs } from './fixtures.js';

const BLANK: Instruction[] = [
  { kind: 'say', text: ' ', language: 'en-US' },
  collect({ prompts: [{ kind: 'say', text: '' }, { kind: 'play', url: 'https://example.com/menu.mp3' }, { kind: 'say', text: '\n' }] }),
];

t.test('a say with no words is rendered nowhere, in a collect neither', async (t) => {
  for (const [name, dialect] of Object.entries(DIALECTS)) {
    const document = dialect.render(BLANK, hookUrl);
    if (dialect.contentType === 'text/xml') {
      const verbs = responseVerbs(document);
      t.notOk(document.includes('<Say') || document.includes('<Speak'), `${name}: no empty say`);
      t.same(names(verbs).slice(0, 1), [name === 'plivo' ? 'GetInput' : 'Gather'], `${name}: the collect comes first`);
      t.same(names(verbs[0]!.children), ['Play'], `${name}: the collect plays the audio only`);
    } else {
      const list = JSON.parse(document) as Array<Record<string, unknown>>;
      t.notOk(list.some((a) => a['action'] === 'talk' || a['verb'] === 'say' || (a['verb'] === 'gather' && 'say' in a)), `${name}: no empty say`);
      t.ok(JSON.stringify(list).includes('menu.mp3'), `${name}: the audio is played`);
    }
  }
});

t.test('a say with words is kept, its spaces as they are', async (t) => {
  const said: Instruction[] = [{ kind: 'say', text: ' Hello ' }, { kind: 'hangup' }];
  t.match(DIALECTS.twiml.render(said, hookUrl), '<Say> Hello </Say>');
  t.same(JSON.parse(DIALECTS.ncco.render(said, hookUrl)), [{ action: 'talk', text: ' Hello ' }]);
  t.same(JSON.parse(DIALECTS.jambonz.render(said, hookUrl)), [{ verb: 'say', text: ' Hello ' }, { verb: 'hangup' }]);
});
