// `junction config-reference`: every setting with its environment variable and default, and the
// module settings; docs/configuration.md is its current output.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { main } from '../../bin/junction.js';
import { ConfigSchema, ENV } from '../../config/index.js';

async function run(...args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await main(args, (l) => out.push(l), () => {});
  return { code, out: out.join('\n') };
}

t.test('every setting, its environment variable and default; module settings; docs/configuration.md is current', async (t) => {
  const r = await run('config-reference');
  t.equal(r.code, 0);
  for (const key of Object.keys(ConfigSchema.properties)) t.match(r.out, `| \`${key}\` |`, key);
  for (const name of Object.keys(ENV)) t.match(r.out, `\`${name}\``, name);
  t.match(r.out, '| `port` | `JUNCTION_PORT` | integer | `8080` |');
  t.match(r.out, /## Module settings[\s\S]*`JUNCTION_CORE_HTTP_TIMEOUT_MS`/);
  t.equal(readFileSync('docs/configuration.md', 'utf8'), `${r.out}\n`, 'docs/configuration.md is current (npm run docs)');
});
