// The shape the code keeps: dependency-cruiser's rules (.dependency-cruiser.cjs: one-way
// direction between top folders, no module cycle), and no cycle between folders either — a
// folder is each sub-folder (engine/flow, engine/people, …); files directly in a top folder
// count one by one, so engine/vocabulary.ts may sit below everything.
import t from 'tap';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const config = require(resolve('.dependency-cruiser.cjs')) as { forbidden: unknown[]; options: Record<string, unknown> };
const SOURCES = ['engine', 'config', 'gateway', 'bin', 'channels', 'ivr', 'importers'];

async function graph(): Promise<ICruiseResult> {
  const out = await cruise(SOURCES, { ...config.options, validate: true, ruleSet: { forbidden: config.forbidden } } as never);
  return out.output as ICruiseResult;
}

function folderOf(path: string): string {
  const parts = path.split('/');
  return parts.length > 2 ? parts.slice(0, -1).join('/') : path;
}

/** Every cycle between folders, as a list of folder names (Tarjan's strongly connected components). */
function folderCycles(result: ICruiseResult): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const m of result.modules) {
    const from = folderOf(m.source);
    for (const d of m.dependencies) {
      const to = folderOf(d.resolved);
      if (to === from || d.coreModule || d.resolved.includes('node_modules')) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      on.delete(w);
      scc.push(w);
      if (w === v) break;
    }
    if (scc.length > 1) cycles.push(scc.sort());
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

t.test('the dependency rules hold and no folders import each other in a circle', async (t) => {
  const result = await graph();
  const violations = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
  t.same(violations, [], 'dependency-cruiser rules');
  t.same(folderCycles(result), [], 'folder cycles');
});
