// The `timers` benchmark's baseline worker, run in a process of its own (bench/timers.ts starts
// it through runJson): one BullMQ Worker on the queue the benchmark fills with delayed jobs,
// with the given concurrency, a processor that only notes when each job reached it. It draws
// the same due times from the seed (timers-stats.ts), checks each job's own due time against
// them, runs until every job was processed or the deadline passed, and prints the summary
// (lateness = processor called − due time) as its last line.
// Arguments: REDIS_URL PREFIX QUEUE N WINDOW_START WINDOW_MS SEED CONCURRENCY DEADLINE
import { Worker, type Job } from 'bullmq';
import { dueOffsets, summarise } from './timers-stats.js';
import { connectionOf, type TimerJob, type WorkerReport } from './bullmq-timers.js';

async function main(): Promise<void> {
  const [url, prefix, queue, nText, startText, windowText, seedText, concurrencyText, deadlineText] = process.argv.slice(2);
  if (deadlineText === undefined) throw new Error('usage: bullmq-worker REDIS_URL PREFIX QUEUE N WINDOW_START WINDOW_MS SEED CONCURRENCY DEADLINE');
  const n = Number(nText);
  const windowStart = Number(startText);
  const deadline = Number(deadlineText);
  const offsets = dueOffsets(n, Number(windowText), Number(seedText));
  const dues = offsets.map((o) => windowStart + o);
  const fired = new Float64Array(n).fill(NaN);
  let count = 0;
  let mismatched = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const worker = new Worker<TimerJob>(
    queue!,
    async (job: Job<TimerJob>) => {
      const at = Date.now();
      const { i, due } = job.data;
      if (dues[i] !== due) mismatched++;
      if (Number.isNaN(fired[i]!)) count++;
      fired[i] = at;
      if (count === n) finish();
    },
    { connection: connectionOf(url!), prefix: prefix!, concurrency: Number(concurrencyText), autorun: false },
  );
  worker.on('error', (err) => console.error(`worker error: ${err.message}`));
  await worker.waitUntilReady();
  const readyAt = Date.now();
  void worker.run();
  const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
  await done;
  const end = Date.now();
  clearTimeout(timer);
  await worker.close(true);
  const report: WorkerReport = { readyAt, mismatched, summary: summarise(dues, fired, end) };
  console.log(JSON.stringify(report));
}

await main();
