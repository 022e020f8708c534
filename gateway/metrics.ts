// Prometheus metrics at GET /metrics, on a registry each app owns (several apps in one process
// never share a series). One onResponse hook counts requests and their latency by route pattern
// (never the raw URL) and status, and webhooks by provider (the module whose /webhooks route it
// is); journal commits are observed through GroupCommit.observeCommits, from before the state is
// recovered when `junction start` passes its own (commitMetrics), so the start's commits count; participants per element,
// outbox entries pending, effects failed for good and tried again, the store's availability (as /readyz),
// what modules' routes counted (module events), error answers by code (errors.ts) and refused module socket messages
// by socket and code (module-routes.ts) are read when scraped. Whether the process stands by is 0 here (a standby
// answers 1 itself, bin/standby.ts). Node's own metrics (memory, CPU, event loop, GC) are the
// process's, made once and answered by every app. docs/operations.md describes every metric.
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine } from '../engine/runtime/engine.js';
import type { Core } from '../engine/core.js';
import type { GroupCommit } from '../engine/store/journal.js';
import type { Registry as ModuleRegistry } from '../engine/module.js';
import type { ErrorCounts } from './errors.js';

/** The route label of a request that matched no route. */
const UNMATCHED = 'unmatched';

/**
 * Request latency buckets (s): most answers take milliseconds; an input refused because the store
 * is out of reach is answered after 5 s, and a large export may stream for tens of seconds.
 */
const REQUEST_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Commit latency buckets (s): a batch takes a millisecond or so; a commit past 5 s makes the store
 * out of reach (input refused), and PostgreSQL's statements time out at 30 s.
 */
const COMMIT_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The gauge that says whether a process stands by (cluster mode): 1 on a standby (bin/standby.ts answers it), 0 from the app. */
export const STANDING_BY = {
  name: 'junction_standing_by',
  help: 'Whether this process stands by (1: it forwards requests to the owner of the partitions and does none of the work) or serves (0)',
} as const;

/**
 * GC pause buckets (s): young-generation collections take a few ms, full ones of a large heap
 * stall the process for tenths of a second (docs/operations.md, *Memory and garbage collection*).
 */
const GC_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

let processRegistry: Registry | undefined;

/** Node's own metrics (process_* and nodejs_*: memory, CPU, event loop lag, GC pauses), made once: they are the process's, whichever app answers. */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, gcDurationBuckets: GC_BUCKETS_S });
  }
  return processRegistry;
}

/** Adds the hooks on `app` (so they see every route) and serves GET /metrics (scope `reports`). */
export function registerMetrics(app: FastifyInstance, core: Core, errorCounts: ErrorCounts, commits = commitMetrics(core.front.journal)): void {
  const registry = new Registry();
  countRequests(app, registry, webhookProviders(core.registry));
  for (const metric of commits.metrics) registry.registerMetric(metric);
  app.addHook('onClose', async () => commits.stop());
  readEngines(core, registry);
  readErrors(errorCounts, registry);
  readSocketErrors(app, registry);
  const answered = Registry.merge([registry, processMetrics()]);
  void app.register(async (scope) => {
    scope.get(
      '/metrics',
      { config: { scope: 'reports' }, schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['operations'], produces: [answered.contentType] } },
      async (_req, reply) => reply.type(answered.contentType).send(await answered.metrics()),
    );
  });
}

function countRequests(app: FastifyInstance, registry: Registry, providers: ReadonlyMap<string, string>): void {
  const requests = new Counter({ name: 'junction_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const latency = new Histogram({
    name: 'junction_http_request_duration_seconds',
    help: 'Time from a request arriving to its answer sent, by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: REQUEST_BUCKETS_S,
    registers: [registry],
  });
  const webhooks = new Counter({ name: 'junction_webhooks_total', help: 'Provider webhook requests, by provider and status', labelNames: ['provider', 'status'], registers: [registry] });
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? UNMATCHED;
    requests.inc({ method: req.method, route, status: reply.statusCode });
    latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    const provider = providers.get(route);
    if (provider !== undefined) webhooks.inc({ provider, status: reply.statusCode });
    done();
  });
}

/** Each module route under /webhooks/, by its URL pattern: the provider is the module that declares it. */
function webhookProviders(modules: ModuleRegistry): Map<string, string> {
  return new Map(modules.modules.flatMap((m) => (m.routes ?? []).filter((r) => r.url.startsWith('/webhooks/')).map((r) => [r.url, m.name] as const)));
}

/** The journal's commit latency and batch sizes, observed until stop(); registered by an app's metrics. */
export interface CommitMetrics {
  readonly metrics: readonly [Histogram, Histogram];
  /** Observes one more journal's commits (a sharded cluster's shard opened here) until it is closed or stop(). */
  observe(journal: GroupCommit): void;
  stop(): void;
}

/**
 * Starts observing the journal's commits (a sharded process's: each shard's, as it opens);
 * `junction start` does it before recovering the state, so the commits it makes while starting
 * (recovery, flows launched) are counted too.
 */
export function commitMetrics(journal?: GroupCommit): CommitMetrics {
  const seconds = new Histogram({
    name: 'junction_journal_commit_duration_seconds',
    help: 'Time the store took to write one group-commit batch',
    buckets: COMMIT_BUCKETS_S,
    registers: [],
  });
  const rows = new Histogram({ name: 'junction_journal_batch_rows', help: 'Rows in one group-commit batch', buckets: [1, 5, 20, 100, 500, 1000, 2000, 5000], registers: [] });
  const stops: Array<() => void> = [];
  const observe = (j: GroupCommit): void => {
    stops.push(
      j.observeCommits((n, ms) => {
        rows.observe(n);
        seconds.observe(ms / 1000);
      }),
    );
  };
  if (journal) observe(journal);
  return { metrics: [seconds, rows], observe, stop: () => stops.splice(0).forEach((stop) => stop()) };
}

/** The engines' figures: in a cluster, of the shards served here, summed (each process is scraped for its own). */
function readEngines(core: Core, registry: Registry): void {
  const summed = (read: (engine: Engine) => ReadonlyMap<string, number>) => () => sumOf(core.engines().map(read));
  new Gauge({
    name: 'junction_participants',
    help: 'Participants inside a flow version, by the element they are at',
    labelNames: ['flow', 'version', 'element'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of core.engines().flatMap((e) => e.participantsAtElements())) this.inc({ flow: p.flowId, version: p.version, element: p.element }, p.participants);
    },
  });
  countsByTwo(registry, 'junction_inputs_refused_total', 'Inputs the engine refused (nothing written), by input kind and JCT_ code', ['input', 'code'], () =>
    byKindAndCode(summed((e) => e.refusedInputs)()),
  );
  countsByOne(registry, 'junction_effect_failures_total', 'Outbox entries (messages, calls, webhook calls) that failed for good, retries spent, by kind', 'kind', summed((e) => e.effectFailures));
  countsByOne(registry, 'junction_effect_retries_total', 'Attempts of outbox entries that failed and were tried again later (a provider or webhook out of reach, a 5xx, a rate limit), by kind', 'kind', summed((e) => e.effectRetries));
  countsByOne(registry, 'junction_module_events_total', "What modules' routes counted that no input records (e.g. email.unsubscribed: one-click unsubscribes taken), by event", 'event', summed((e) => e.moduleEventCounts));
  new Gauge({
    name: 'junction_store_available',
    help: 'Whether input can be made durable (1), or not (0): the store is out of reach, a batch failed for good, or the engine is closed (as /readyz)',
    registers: [registry],
    collect() {
      this.set(core.accepting ? 1 : 0);
    },
  });
  new Gauge({ ...STANDING_BY, registers: [registry] }).set(0);
  new Gauge({
    name: 'junction_outbox_pending',
    help: 'Outbox entries (messages, webhook calls) written and not yet done',
    registers: [registry],
    collect() {
      this.set(core.engines().reduce((n, e) => n + e.outboxPending, 0));
    },
  });
}

/** Counts by key added up over several maps. */
function sumOf(maps: readonly ReadonlyMap<string, number>[]): ReadonlyMap<string, number> {
  if (maps.length === 1) return maps[0]!;
  const sum = new Map<string, number>();
  for (const map of maps) for (const [key, n] of map) sum.set(key, (sum.get(key) ?? 0) + n);
  return sum;
}

function readErrors(errorCounts: ErrorCounts, registry: Registry): void {
  countsByTwo(registry, 'junction_http_errors_total', 'Error answers, by status and JCT_ code', ['status', 'code'], () => errorCounts);
}

/** WebSocket messages refused (a frame ws refused; a module's handler threw), by socket URL and JCT_ code (the sockets are mounted after this). */
function readSocketErrors(app: FastifyInstance, registry: Registry): void {
  countsByTwo(registry, 'junction_socket_errors_total', 'WebSocket messages refused, by socket and JCT_ code', ['socket', 'code'], () =>
    app.hasDecorator('socketErrors') ? app.socketErrors : {},
  );
}

/** A counter read when scraped from counts kept elsewhere, one label deep (e.g. kind → n). */
function countsByOne(registry: Registry, name: string, help: string, label: string, read: () => ReadonlyMap<string, number>): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [value, n] of read()) this.inc({ [label]: value }, n);
    },
  });
}

/** Counts keyed `<kind> <code>`, two labels deep. */
function byKindAndCode(counts: ReadonlyMap<string, number>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [key, n] of counts) {
    const at = key.indexOf(' ');
    (out[key.slice(0, at)] ??= {})[key.slice(at + 1)] = n;
  }
  return out;
}

/** A counter read when scraped from counts kept elsewhere, two labels deep (e.g. status → code → n). */
function countsByTwo(registry: Registry, name: string, help: string, labels: [string, string], read: () => Record<string, Record<string, number>>): void {
  new Counter({
    name,
    help,
    labelNames: labels,
    registers: [registry],
    collect() {
      this.reset();
      for (const [first, seconds] of Object.entries(read())) for (const [second, n] of Object.entries(seconds)) this.inc({ [labels[0]]: first, [labels[1]]: second }, n);
    },
  });
}
