// `npm run bench -- NAME [--quick]` runs bench/NAME.ts; `npm run bench -- all [--quick]`
// runs every scenario. Each prints its progress, then its JSON result as its last line.
// Benchmarks run compiled (tsc into dist-bench/), the JavaScript production runs.
import { readdirSync } from 'node:fs';
import type { Scenario } from './harness.js';

const SKIP = new Set(['harness', 'run']);
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const name = args.find((a) => !a.startsWith('--'));
  const all = readdirSync(new URL('.', import.meta.url))
    .filter((f) => /\.[jt]s$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .filter((n) => !SKIP.has(n));
  if (!name || (name !== 'all' && !all.includes(name))) {
    console.error(`usage: npm run bench -- NAME [--quick]   (NAME: ${[...all, 'all'].join(', ')})`);
    return 2;
  }
  const names = name === 'all' ? all : [name];
  let failed = 0;
  for (const n of names) {
    const { default: scenario } = (await import(new URL(`./${n}${EXT}`, import.meta.url).href)) as { default: Scenario };
    const result = await scenario.run({ quick, log: (line) => console.log(`[${n}] ${line}`) });
    if (!result.pass) failed++;
    console.log(JSON.stringify(result));
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
