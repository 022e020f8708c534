// Test helpers: a real engine (core module plus any test elements) on a virtual clock with an
// in-memory people store and an in-memory journal, and a small builder for flow documents.
import { Engine, type StepEvent, type VersionAcross } from '../../engine/runtime/engine.js';
import { VirtualClock } from '../../engine/clock.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';
import { GroupCommit, MemoryBackend } from '../../engine/store/journal.js';
import { coreModule } from '../../engine/elements/index.js';
import { Registry, type Module, type Settings } from '../../engine/module.js';
import type { NodeDefinition } from '../../engine/flow-schema.js';
import { Type } from '@sinclair/typebox';
import { defineElement } from '../../engine/element.js';

export interface World {
  clock: VirtualClock;
  people: MemoryPeopleStore;
  engine: Engine;
  backend: MemoryBackend;
  steps: StepEvent[];
  logs: Array<{ level: string; obj: object; msg?: string }>;
}

export interface WorldOptions {
  start?: string;
  /** Modules besides the core one (test elements and effect handlers). */
  modules?: Module[];
  /** Settings by module name (defaults for the others). */
  settings?: Record<string, Settings>;
  partitions?: number;
  /** As a shard of a cluster: how it asks the cluster about a version. */
  across?: VersionAcross;
}

export function registryWith(modules: Module[] = [], settings: Record<string, Settings> = {}): Registry {
  return new Registry([coreModule, ...modules], settings);
}

export function world(options: WorldOptions | string = {}): World {
  const o = typeof options === 'string' ? { start: options } : options;
  const clock = new VirtualClock(o.start ?? '2026-01-05T09:00:00Z');
  const people = new MemoryPeopleStore(clock);
  const backend = new MemoryBackend();
  const steps: StepEvent[] = [];
  const logs: World['logs'] = [];
  const log = (level: string) => (obj: object, msg?: string) => logs.push({ level, obj, msg });
  const engine = new Engine({
    clock,
    people,
    registry: registryWith(o.modules, o.settings),
    journal: new GroupCommit(backend, { flushMs: 0 }),
    partitions: o.partitions,
    ...(o.across ? { across: o.across } : {}),
    onStep: (e) => steps.push(e),
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
  });
  return { clock, people, engine, backend, steps, logs };
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

/** Asks `test.call` and waits for its answer. */
export const askElement = defineElement<Record<string, never>>({
  type: 'testCall',
  role: 'element',
  title: 'Call (test only)',
  description: 'Emits test.call and waits for its result.',
  config: Type.Object({}),
  example: {},
  branches: () => ['next', 'failed'],
  waits: true,
  execute: (_p, run) => {
    run.emit({ kind: 'test.call' });
    return { wait: true, on: 'effect' };
  },
  resume: (_p, _run, input) => (input.kind === 'effect.result' ? 0 : input.kind === 'effect.failed' ? 1 : undefined),
});
