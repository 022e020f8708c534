// `junction validate FLOW.json [--people PEOPLE.json]`: every problem, one per line; exit 1 if any.
import { Engine } from '../../engine/runtime/engine.js';
import { SystemClock } from '../../engine/clock.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';
import { loadPeople } from '../../engine/people/load.js';
import type { Problem } from '../../engine/runtime/types.js';
import { readJson } from '../files.js';

export function validateCommand(flowFile: string, peopleFile: string | undefined, out: (line: string) => void): number {
  const people = new MemoryPeopleStore(new SystemClock());
  if (peopleFile) loadPeople(readJson(peopleFile), people);
  const problems = new Engine({ clock: new SystemClock(), people }).validate(readJson(flowFile));
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
