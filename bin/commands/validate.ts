// `junction validate FLOW.json [--people PEOPLE.json] [--config CONFIG.json]`: every problem, one
// per line; exit 1 if any. Its custom attributes, events and segments come from --people, else the
// workspace's people file (workspace.ts); with a configuration (--config, else the nearest
// junction.json), the flow is checked against its module settings too, as a launch would be.
import { SystemClock } from '../../engine/clock.js';
import { compileFlow } from '../../engine/flow/compile.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';
import { EventCatalog } from '../../engine/people/events.js';
import { loadPeople } from '../../engine/people-file.js';
import type { Problem } from '../../engine/vocabulary.js';
import { readJson } from '../files.js';
import { configFileFor, peopleFileFor } from '../workspace.js';
import { assembleRegistry } from '../modules.js';
import { loadConfig } from '../../config/index.js';

export interface ValidateFiles {
  /** --people */
  readonly people: string | undefined;
  /** --config */
  readonly config: string | undefined;
}

export function validateCommand(flowFile: string, given: ValidateFiles, out: (line: string) => void, env = process.env): number {
  const clock = new SystemClock();
  const people = new MemoryPeopleStore(clock);
  const configFile = configFileFor(flowFile, given.config);
  const config = loadConfig(env, configFile); // the workspace's time zone, from the file or JUNCTION_TIME_ZONE
  const peopleFile = peopleFileFor(flowFile, given.people, env);
  if (peopleFile) loadPeople(readJson(peopleFile), people, config.timeZone);
  const registry = configFile === undefined ? assembleRegistry() : assembleRegistry(config, env);
  const events = new EventCatalog(registry.events, people.events().values());
  const segmentExists = peopleFile ? (id: string) => people.segment(id) !== undefined : undefined; // no people file: the segments are unknown, not missing
  const result = compileFlow(readJson(flowFile), { registry, attributes: people.catalog(), events, now: clock.now(), configured: configFile !== undefined, timeZone: config.timeZone, segmentExists });
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
