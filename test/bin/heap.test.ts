// The heap headroom setting (bin/heap.ts) gives the process the same V8 flags as starting Node
// with --heap-growing-percent: V8's version tag for cached code hashes every flag, so a child
// that applies the setting must report the tag of a child started with the flag.
import '../child-processes.js';
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setHeapHeadroom } from '../../bin/heap.js';

const HEAP = fileURLToPath(new URL('../../bin/heap.js', import.meta.url));

/** V8's flag-dependent tag in a child started with `flags` that then applies `percent` (if given). */
function tagOf(flags: string[], percent?: number): string {
  const apply = percent === undefined ? '' : `(await import(process.env.MODULE)).setHeapHeadroom(${percent});`;
  const script = `${apply} console.log((await import('node:v8')).cachedDataVersionTag());`;
  return execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, MODULE: HEAP } }).trim();
}

t.test('a headroom sets the flags --heap-growing-percent sets; 0 leaves V8 its own choice', async (t) => {
  const plain = tagOf([]);
  t.equal(tagOf([], 300), tagOf(['--heap-growing-percent=300']), '300 as if started with --heap-growing-percent=300');
  t.not(tagOf([], 300), plain, 'which is not the default');
  t.equal(tagOf([], 0), plain, '0 changes nothing');
});

t.test('a headroom is a whole percentage', async (t) => {
  t.throws(() => setHeapHeadroom(-1), RangeError);
  t.throws(() => setHeapHeadroom(1.5), RangeError);
});
