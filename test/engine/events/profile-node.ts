// The engine the tests of date and profile-change entry points and waits run on: the events
// module, a virtual clock, a people store with appointmentAt (datetime), renewalDate (date)
// and tier (text), every step recorded, and a journal over `backend` (a restart passes the same
// clock and backend).
import { Engine, type StepEvent } from '../../../engine/runtime/engine.js';
import { VirtualClock } from '../../../engine/clock.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { GroupCommit, MemoryBackend } from '../../../engine/store/journal.js';
import { eventsModule } from '../../../engine/events/index.js';
import { registryWith } from '../helpers.js';

export interface Node {
  clock: VirtualClock;
  people: MemoryPeopleStore;
  engine: Engine;
  steps: StepEvent[];
}

export function node(o: { start?: string; clock?: VirtualClock; backend?: MemoryBackend } = {}): Node {
  const clock = o.clock ?? new VirtualClock(o.start ?? '2026-03-02T08:00:00Z');
  const people = new MemoryPeopleStore(clock);
  people.defineAttribute({ name: 'appointmentAt', type: 'datetime' });
  people.defineAttribute({ name: 'renewalDate', type: 'date' });
  people.defineAttribute({ name: 'tier', type: 'text' });
  const steps: StepEvent[] = [];
  const journal = new GroupCommit(o.backend ?? new MemoryBackend(), { flushMs: 0 });
  const engine = new Engine({ clock, people, registry: registryWith([eventsModule]), journal, onStep: (e) => steps.push(e) });
  return { clock, people, engine, steps };
}
