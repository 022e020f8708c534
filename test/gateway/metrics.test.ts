// GET /metrics as an operator reads it: effect attempts tried again are counted apart from those
// failed for good; the store's availability and whether the process stands by are gauges; the
// latency buckets reach past the 5 s a commit may take before input is refused; Node's own
// metrics (memory, CPU, event loop, GC) are there; every metric family is described in docs/operations.md; a socket's label is never a URL.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { EffectFailure } from '../../engine/errors.js';
import type { Module } from '../../engine/module.js';
import { askElement, flow, world } from '../engine/helpers.js';
import { api } from './api-helper.js';
import { WEBSOCKET_OPTIONS } from '../../gateway/websockets.js';
import { families, scrape } from './metrics-helper.js';

/** A module whose `test.call` fails (retryable) on its first `failures` attempts, then answers. */
function flaky(failures: number): Module {
  let attempts = 0;
  return {
    name: 'test-flaky',
    elements: [askElement],
    effects: [
      {
        kind: 'test.call',
        perform: () => {
          if (++attempts <= failures) throw new EffectFailure('JCT_TEST_BUSY', 'busy', true);
          return 'ok';
        },
      },
    ],
  };
}

t.test('effect attempts that failed and were tried again are counted by kind, apart from failures for good', async (t) => {
  const w = world({ modules: [flaky(2)] });
  w.people.upsert({ id: 'ana' });
  w.engine.save(flow('ask', [{ id: 'call', type: 'testCall', config: {} }]));
  w.engine.launch('ask');
  const a = await api(t, w);
  await w.engine.enter('ask', 'ana');
  await w.engine.idle();
  t.equal((await scrape(a)).samples.get('junction_effect_retries_total{kind="test.call"}'), 1, 'the first attempt failed');
  w.clock.advance(1000);
  await w.engine.idle();
  w.clock.advance(2000);
  await w.engine.idle();
  const m = (await scrape(a)).samples;
  t.equal(m.get('junction_effect_retries_total{kind="test.call"}'), 2);
  t.equal(m.get('junction_effect_failures_total{kind="test.call"}'), undefined, 'it succeeded at last');
});

t.test('the store available gauge follows readiness: 0 while a batch cannot be written', async (t) => {
  const w = world();
  const a = await api(t, w);
  t.equal((await scrape(a)).samples.get('junction_store_available'), 1);
  w.backend.commit = () => {
    throw new Error('disk full');
  };
  w.engine.save(flow('later', []));
  await w.engine.journal.flush().catch(() => {});
  t.equal((await scrape(a)).samples.get('junction_store_available'), 0);
});

t.test('a serving process says it does not stand by', async (t) => {
  const a = await api(t);
  t.equal((await scrape(a)).samples.get('junction_standing_by'), 0);
});

t.test('latency buckets reach past the 5 s after which input is refused with the store out of reach', async (t) => {
  const a = await api(t);
  await a.call('GET', '/flows');
  const after = (await scrape(a)).samples;
  for (const le of ['5', '10', '30']) t.ok(after.has(`junction_http_request_duration_seconds_bucket{le="${le}",method="GET",route="/api/v1/flows"}`), `requests: le=${le}`);
  for (const le of ['2.5', '5', '10', '30']) t.ok(after.has(`junction_journal_commit_duration_seconds_bucket{le="${le}"}`), `commits: le=${le}`);
});

t.test('docs/operations.md describes every metric family /metrics declares', async (t) => {
  const docs = readFileSync('docs/operations.md', 'utf8');
  const a = await api(t);
  const declared = families((await scrape(a)).text);
  t.ok(declared.size > 10, 'the families were read');
  for (const name of declared.keys()) {
    if (name.startsWith('junction_')) t.ok(docs.includes(`| \`${name}\` |`), `${name} has a row in the metrics table`);
  }
  t.ok(docs.includes('| `process_*`, `nodejs_*` |'), "Node's own have a row");
});

t.test('a refused WebSocket frame is counted by route pattern, never by the URL it came on', async (t) => {
  const socketErrors: Record<string, Record<string, number>> = {};
  const app = { hasDecorator: () => true, socketErrors };
  const req = { routeOptions: { url: undefined }, url: '/feed?token=secret-123' };
  const err = Object.assign(new Error('too big'), { code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' });
  (WEBSOCKET_OPTIONS.errorHandler as (...args: unknown[]) => void).call(app, err, { terminate: () => {} }, req);
  t.same(socketErrors, { unmatched: { JCT_SOCKET_MESSAGE_TOO_LARGE: 1 } });
});

t.test("Node's own metrics: memory, CPU, event loop lag and GC pauses, the same in every app of the process", async (t) => {
  const a = await api(t);
  const b = await api(t);
  const declared = families((await scrape(a)).text);
  for (const name of ['process_resident_memory_bytes', 'process_cpu_seconds_total', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_gc_duration_seconds']) {
    t.ok(declared.has(name), name);
  }
  t.ok(families((await scrape(b)).text).has('process_resident_memory_bytes'), 'a second app answers them too');
});
