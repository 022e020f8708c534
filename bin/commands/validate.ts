// `junction validate FLOW.json [--people PEOPLE.json]`: every problem, one per line; exit 1 if any.
// Its custom attributes and events come from --people, else the workspace's people file (workspace.ts).
import { SystemClock } from '../../engine/clock.js';
import { compileFlow } from '../../engine/flow/compile.js';
import type { Registry } from '../../engine/module.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';
import { EventCatalog } from '../../engine/people/events.js';
import { loadPeople } from '../../engine/people-file.js';
import type { Problem } from '../../engine/vocabulary.js';
import { readJson } from '../files.js';
import { peopleFileFor } from '../workspace.js';

export function validateCommand(registry: Registry, flowFile: string, given: string | undefined, out: (line: string) => void, env = process.env): number {
  const clock = new SystemClock();
  const people = new MemoryPeopleStore(clock);
  const peopleFile = peopleFileFor(flowFile, given, env);
  if (peopleFile) loadPeople(readJson(peopleFile), people);
  const events = new EventCatalog(registry.events, people.events().values());
  const result = compileFlow(readJson(flowFile), { registry, attributes: people.catalog(), events, now: clock.now() });
  const problems = result.ok ? [] : result.problems;
  if (problems.length === 0) {
    out(`${flowFile}: valid`);
    return 0;
  }
  out(`${flowFile}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
  for (const p of problems) out(formatProblem(p));
  return 1;
}

export function formatProblem(p: Problem): string {
  return `  ${p.path}  ${p.code}  ${p.message}${p.elementId ? `  (element "${p.elementId}")` : ''}`;
}
