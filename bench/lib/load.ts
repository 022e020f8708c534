// Load generator of bench/api, run as its own process so it shares no event loop with the
// benchmark or the server: autocannon POSTs Flow API bodies, each with a new person (a phone
// number built from a counter, so re-entry rules never refuse one), and one JSON line sums
// the run up. With `shard`, only people whose phone leads to that shard of a sharded cluster are
// sent (the others' counter values are passed over). A phone made here is E.164 already, its own
// normalised form, so its shard is its hash's, taken without parsing it (checked against
// shardOfContact on the first numbers): parsing every number, twice per request sent on
// average with two shards, cost the generator a third more CPU than an unfiltered run, on the
// same two cores as the servers it measures.
// Usage: node load.js '{"url":…,"connections":…,"seconds":…,"firstId":…,"overallRate"?:…,"shard"?:{"index":…,"of":…}}'
import { runPaced, tally, type Pace, type Tally } from './autocannon.js';
import { BENCH_KEY } from './processes.js';
import { shardOfContact } from '../../engine/cluster/shard-of.js';
import { hash32 } from '../../engine/hash.js';

export interface LoadOptions extends Pace {
  /** Full URL of the Flow API route, e.g. http://127.0.0.1:41234/flows/bench/participants */
  url: string;
  /** First phone counter value; the next run against the same server starts at `nextId`. */
  firstId: number;
  /** Only people of shard `index` of a cluster of `of` shards. */
  shard?: { index: number; of: number };
}

export interface LoadSummary extends Omit<Tally, 'ok'> {
  /** 201 answers: people entered (Junction answers 200 when it refuses an entry). */
  created: number;
  /** 201 answers per second. */
  rps: number;
  p99Ms: number;
  nextId: number;
}

/** Croatian mobile numbers +385 91 000 0000 … +385 91 999 9999: ten million distinct people. */
const PHONES = 10_000_000;

function phone(id: number): string {
  if (id >= PHONES) throw new Error(`load: phone counter ${id} is past the ${PHONES} numbers available`);
  return `+38591${String(id).padStart(7, '0')}`;
}

function body(number: string): string {
  return JSON.stringify({ person: { phones: [number] }, vars: { source: 'bench' } });
}

/** Numbers whose shard is checked against shardOfContact before a run. */
const CHECKED = 1000;

/** The shard of a number phone() makes: the hash of its text, which is its normalised form. */
function shardOfNumber(number: string, shards: number): number {
  return hash32(number) % shards;
}

function checkShardOfNumber(firstId: number, shards: number): void {
  for (let id = firstId; id < Math.min(firstId + CHECKED, PHONES); id++) {
    const number = phone(id);
    if (shardOfNumber(number, shards) !== shardOfContact(number, shards)) throw new Error(`load: ${number} is not its own normalised form`);
  }
}

async function load(options: LoadOptions): Promise<LoadSummary> {
  let nextId = options.firstId;
  const { shard } = options;
  if (shard !== undefined) checkShardOfNumber(nextId, shard.of);
  const next = (): string => {
    for (;;) {
      const number = phone(nextId++);
      if (shard === undefined || shardOfNumber(number, shard.of) === shard.index) return number;
    }
  };
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${BENCH_KEY}` };
  const result = await runPaced(options.url, options, headers, [{ method: 'POST', setupRequest: (request) => ({ ...request, body: body(next()) }) }]);
  const { ok: created, ...counts } = tally(result, 201);
  return { created, ...counts, rps: created / counts.seconds, p99Ms: result.latency.p99, nextId };
}

console.log(JSON.stringify(await load(JSON.parse(process.argv[2] ?? '{}') as LoadOptions)));
