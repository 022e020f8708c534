// A partition keeps each person's entry history of a flow in the smallest form that holds it
// (engine/runtime/partition.ts): what comes back out, and the journal row built from it, are
// the history that went in, whichever form it was kept in.
import t from 'tap';
import { Partition } from '../../../engine/runtime/partition.js';
import { VirtualClock } from '../../../engine/clock.js';
import type { EntryHistory } from '../../../engine/runtime/reentry.js';
import type { TableTexts } from '../../../engine/store/journal.js';

const T = 1_796_000_000_000;

t.test('every form of history comes back as it went in, and is journaled as such', async (t) => {
  const part = new Partition(0, new VirtualClock(T), () => {});
  const cases: Array<[string, EntryHistory]> = [
    ['entered once, inside', { entries: [T], inside: 1, lastExitAt: 0 }],
    ['entered once, exited', { entries: [T], inside: 0, lastExitAt: T + 5_000 }],
    ['entered once, removed without an exit time', { entries: [T], inside: 0, lastExitAt: 0 }],
    ['entered once, inside again after an exit', { entries: [T], inside: 1, lastExitAt: T - 1 }],
    ['entered twice', { entries: [T, T + 1], inside: 0, lastExitAt: T + 2 }],
    ['two participants inside', { entries: [T], inside: 2, lastExitAt: 0 }],
  ];
  for (const [name, history] of cases) {
    const person = part.personSlot(`person-${name}`);
    const rows = part.setHistory('flow', person, structuredClone(history));
    t.same(part.historyOf('flow', person), history, name);
    rows.mark(person);
    const out: TableTexts = new Map();
    rows.takeTexts(out);
    t.same([...out.values()].map((text) => JSON.parse(text!)), [[history.entries, history.inside, history.lastExitAt]], `${name}: its row`);
  }
  t.equal(part.historyOf('flow', part.personSlot('nobody')), undefined, 'no history: undefined');
});

t.test('a history taken out, changed and given back replaces the kept one', async (t) => {
  const part = new Partition(0, new VirtualClock(T), () => {});
  const person = part.personSlot('p');
  part.setHistory('flow', person, { entries: [T], inside: 1, lastExitAt: 0 });
  const h = part.historyOf('flow', person)!;
  h.inside = 0;
  h.lastExitAt = T + 10;
  part.setHistory('flow', person, h);
  const again = part.historyOf('flow', person)!;
  again.entries.push(T + 20);
  again.inside = 1;
  part.setHistory('flow', person, again);
  t.same(part.historyOf('flow', person), { entries: [T, T + 20], inside: 1, lastExitAt: T + 10 });
});
