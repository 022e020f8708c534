// Start-up cost: `junction start` imports no dependency that only some configurations use
// (PostgreSQL, Redis, email) or only the first send needs (undici): engine/lazy-require.ts and
// the store's dynamic imports load them on first use; the other commands (validate, simulate, …)
// do not load the server at all. A static import that brings one back fails this test.
import '../child-processes.js';
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const JUNCTION = fileURLToPath(new URL('../../bin/junction.js', import.meta.url));
const START = fileURLToPath(new URL('../../bin/commands/start.js', import.meta.url));
const LAZY = ['pg', 'pg-copy-streams', 'ioredis', 'nodemailer', 'mailparser', 'smtp-server', 'undici'];

/** The packages loaded once the module `file` is imported (CommonJS packages imported from ESM land in the require cache too). */
function packagesLoadedBy(file: string): string[] {
  const script = `
    await import(process.env.MODULE);
    const { createRequire } = await import('node:module');
    const cache = createRequire(import.meta.url).cache;
    const names = new Set(Object.keys(cache).map((f) => /node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(f)?.[1]).filter(Boolean));
    console.log(JSON.stringify([...names]));`;
  // The path goes in the environment: as an argument, junction.js would take itself for the command run.
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, MODULE: file } });
  return JSON.parse(out) as string[];
}

t.test('junction start imports none of the lazily loaded dependencies', async (t) => {
  const loaded = packagesLoadedBy(START);
  t.ok(loaded.includes('fastify'), 'the require cache shows CommonJS packages imported at start (fastify)');
  t.same(LAZY.filter((name) => loaded.includes(name)), [], `none of ${LAZY.join(', ')}`);
});

t.test('the other commands do not load the server either', async (t) => {
  const loaded = packagesLoadedBy(JUNCTION);
  t.same(['fastify', ...LAZY].filter((name) => loaded.includes(name)), [], 'no fastify, and none of the lazy ones');
});
