// Test helpers: a real engine on a virtual clock with an in-memory people store, and a
// small builder for flow documents.
import '../../engine/elements/index.js';
import { Engine, type StepEvent } from '../../engine/runtime/engine.js';
import { VirtualClock } from '../../engine/clock.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';
import type { NodeDefinition } from '../../engine/flow/schema.js';

export interface World {
  clock: VirtualClock;
  people: MemoryPeopleStore;
  engine: Engine;
  steps: StepEvent[];
  logs: Array<{ level: string; obj: object; msg?: string }>;
}

export function world(start = '2026-01-05T09:00:00Z'): World {
  const clock = new VirtualClock(start);
  const people = new MemoryPeopleStore(clock);
  const steps: StepEvent[] = [];
  const logs: World['logs'] = [];
  const log = (level: string) => (obj: object, msg?: string) => logs.push({ level, obj, msg });
  const engine = new Engine({
    clock,
    people,
    onStep: (e) => steps.push(e),
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
  });
  return { clock, people, engine, steps, logs };
}

/** A flow with a Flow API entry (id `start`) leading to the first element. */
export function flow(id: string, elements: NodeDefinition[], settings: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: 1,
    id,
    name: id,
    entryPoints: [{ id: 'start', type: 'flowApi', config: {}, branches: elements[0] ? { next: elements[0].id } : {} }],
    elements,
    settings,
  };
}

export const pauseDays = (id: string, days: number, next?: string): NodeDefinition => ({
  id,
  type: 'pause',
  config: { kind: 'forPeriod', duration: { amount: days, unit: 'days' } },
  ...(next ? { branches: { next } } : {}),
});

export const tag = (id: string, name: string, next?: string): NodeDefinition => ({
  id,
  type: 'addTag',
  config: { tags: [name] },
  ...(next ? { branches: { next } } : {}),
});

/** Path of element ids a person's participants walked, over all steps so far. */
export function pathOf(w: World, personId: string): string[] {
  return w.steps
    .filter((s) => s.participant.personId === personId)
    .flatMap((s) => s.result.visited.map((i) => s.flow.nodes[i]!.id));
}
