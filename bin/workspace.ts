// Where `junction validate` and `junction simulate` find the people file (custom attribute
// definitions, segments) when none is given: the `people` of the nearest `junction.json`
// (the configuration file, looked for in the flow's folder and each folder above it; its
// path is relative to that file), else the configured one (JUNCTION_PEOPLE, by default the
// package's examples/people.json, as for start, wherever the command runs) when it exists.
// None: the flow is checked against built-in attributes. `junction validate` also checks the
// flow against a configuration it knows: `--config`, else that nearest `junction.json`.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfig } from '../config/index.js';
import { examplesByDefault } from './files.js';

export const WORKSPACE_FILE = 'junction.json';

export function peopleFileFor(flowFile: string, given: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (given !== undefined) return given;
  const workspace = configFileFor(flowFile, undefined);
  const people = workspace ? loadConfig(env, workspace).people : loadConfig(env).people;
  if (people === '') return undefined;
  const file = workspace ? resolve(dirname(workspace), people) : examplesByDefault('people', people);
  return existsSync(file) ? file : undefined;
}

/** The configuration file a flow is checked against: the one given, else the nearest `junction.json`; undefined: none. */
export function configFileFor(flowFile: string, given: string | undefined): string | undefined {
  return given ?? nearest(dirname(resolve(flowFile)), WORKSPACE_FILE);
}

/** The file named `name` in `dir` or the nearest folder above it. */
function nearest(dir: string, name: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const file = join(at, name);
    if (existsSync(file)) return file;
    if (dirname(at) === at) return undefined;
  }
}
