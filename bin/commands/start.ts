// `junction start`: with shards > 1, one process of a sharded cluster (sharded-start.ts); else, in cluster mode, first stands by until it holds the lease (standby.ts); opens the store (the embedded one in the data directory by default, locked
// against a second process), recovers the working state, loads the people file and launches the
// flows folder's flows that are new or changed, then serves HTTP until stopped (in a cluster on
// the server it stood by on, which keeps the port meanwhile). On SIGINT/SIGTERM
// it stops gracefully (stopping.ts), while starting too: no new connections, requests in flight finished, listeners closed, the
// journal's last batch written, the store closed, `stopped` logged, exit 0. A start that fails once the store is
// open closes what it opened, so the process ends with its error (exit 2) rather than lingering;
// in a cluster, a store that fails to open once the lease is taken gives the lease and the held server up too.
// The journal's commit metrics are observed from the store's opening, so the start's commits count.
// `--pretty` logs readable lines (pretty.ts). JSON lines are written to stdout synchronously, one
// write a line (logging is off the request path): a line is out before the next statement, so the
// last lines before an exit or a crash are never left in a buffer, and a log reader that went away
// (EPIPE) only ends the logging, never the stop (an asynchronous write still under way at exit was
// retried for ever and the process could not stop).
// The engine gets the package's built-in flow templates (bin/templates.ts). Requests need API
// keys (gateway/auth): with none stored and none configured, a first admin key is printed once on stderr.
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfig, settingName, type JunctionConfig, type SettingNamer } from '../../config/index.js';
import { Engine } from '../../engine/runtime/engine.js';
import { SystemClock } from '../../engine/clock.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';
import { GroupCommit, type JournalBackend } from '../../engine/store/journal.js';
import { partAtStart } from '../../engine/people-file.js';
import type { Registry, Settings } from '../../engine/module.js';
import { assembleRegistry, ignoredVariables, moduleSecretPaths } from '../modules.js';
import { buildApp } from '../../gateway/app.js';
import { connectionLimits } from '../../gateway/connection-limits.js';
import { commitMetrics, type CommitMetrics } from '../../gateway/metrics.js';
import { shownUrl } from '../../engine/store/shown-url.js';
import { examplesByDefault, packageVersion } from '../files.js';
import { loadPeopleAtStart } from '../people-file.js';
import { prettyStream } from '../pretty.js';
import { openKeysEarly, openStore, storeName, type ClusterLease, type OpeningKeys } from '../store.js';
import { listenError } from '../listen.js';
import { standBy, type HeldServer } from '../standby.js';
import { setHeapHeadroom } from '../heap.js';
import { closeAll, Stopping, type Closer } from '../stopping.js';
import { engineSettings, printFirstAdminKey, startListeners, storeChanged, storeFailed } from '../serving.js';
import { flowFiles, launchFolder } from '../flows-folder.js';
import { LocalCore } from '../../engine/core.js';

export async function startCommand(configFile: string | undefined, pretty = false): Promise<void> {
  const config = withPackageExamples(loadConfig(process.env, configFile));
  const registry = assembleRegistry(config, process.env, configFile);
  const options = { level: config.logLevel, redact: { paths: ['config.adminKey', 'config.clusterSecret', ...moduleSecretPaths('config.modules')], censor: redacted } };
  const logger = pino(options, pretty ? prettyStream() : pino.destination({ dest: 1, sync: true }));
  logger.info({ config: { ...config, redisUrl: config.redisUrl && shownUrl(config.redisUrl), databaseUrl: config.databaseUrl && shownUrl(config.databaseUrl), modules: moduleSettings(registry) } }, 'configuration');
  for (const { name, meant } of ignoredVariables(process.env)) {
    logger.warn({ code: 'JCT_CONFIG_UNKNOWN_VARIABLE', variable: name, ...(meant ? { meant } : {}) }, `${name} is no setting of Junction and is ignored${meant ? `: did you mean ${meant}?` : ''}`);
  }
  setHeapHeadroom(config.heapHeadroomPercent); // before recovery fills the heap
  const named: SettingNamer = (key) => settingName(key, process.env, configFile);
  const stopping = new Stopping(logger);
  const clock = new SystemClock();
  if (config.shards > 1) return (await import('../sharded-start.js')).startSharded(config, registry, { logger, stopping, named, clock }); // one process of a sharded cluster (its PostgreSQL modules loaded then)
  const people = new MemoryPeopleStore(clock);
  const opening = openKeysEarly(config, stopping.wait);
  const { owned, backend } = await ownedStore(config, { logger, stopping, named }, opening).catch(async (err: unknown) => {
    await stopping.ended(err, []); // what it opened is closed
    throw err;
  });
  const journal = new GroupCommit(backend, { flushMs: config.flushMs, onStoreChange: (err) => storeChanged(logger, err), onFailed: (err) => storeFailed(logger, err) });
  stopping.track(journal);
  const commits = commitMetrics(journal); // from the first commit: the start's count in /metrics too
  const engine = new Engine({
    clock,
    people,
    registry,
    journal,
    ...engineSettings(config, logger),
  });
  /** What is open, closed in this order when Junction stops or its start fails (serveStore puts the app and listeners first). */
  const closers: Closer[] = [() => engine.close(), () => backend.close(), () => owned?.lease.release(), () => opening.close()];
  try {
    await serveStore(config, engine, backend, people, { logger, opening, owned, closers, commits, stopping, named });
  } catch (err) {
    await stopping.ended(err, closers);
    await closeAll(closers); // nothing may keep the process alive: it ends with the start's error
    throw err;
  }
}

interface Serving {
  logger: pino.Logger;
  opening: OpeningKeys;
  /** In a cluster: the lease and the server this process stood by on, still listening. */
  owned: { lease: ClusterLease; server: HeldServer } | undefined;
  /** The app and the listeners go first: they are closed before the engine. */
  closers: Closer[];
  /** The journal's commit metrics, observed since the store opened. */
  commits: CommitMetrics;
  /** Where the start stops when a signal comes. */
  stopping: Stopping;
  /** Names a setting in errors, as the user sets it. */
  named: SettingNamer;
}

/**
 * Recovers the state, loads the people file and launches the flows folder, opens the API keys,
 * then serves HTTP and the modules' listeners; the first admin key is printed once it listens.
 */
async function serveStore(config: JunctionConfig, engine: Engine, backend: JournalBackend, people: MemoryPeopleStore, { logger, opening, owned, closers, commits, stopping, named }: Serving): Promise<void> {
  const started = performance.now();
  const core = new LocalCore(engine);
  stopping.now('recovering the state'); // no wait before recovery: the store is read before its first commit
  const recovered = engine.recover(backend, config.people === '' ? undefined : (restored) => loadPeopleAtStart(config.people, engine, partAtStart(restored), named));
  logger.info({ ...recovered, ms: Math.round(performance.now() - started), store: storeName(config) }, 'state recovered');
  const flowFilesRefused = config.flows === '' ? [] : await launchFolder(core, flowFiles(config.flows, named), { logger, stopping });
  await engine.journal.flush();
  await stopping.step('opening the API keys');
  const { keys, copied } = await opening.opened();
  if (copied > 0) logger.info({ keys: copied }, `API keys of ${config.dataDir}/keys.db copied into the store (shared by every process)`);
  await stopping.step('starting to serve');
  const app = buildApp(core, { version: packageVersion(), logger, keys, adminKey: config.adminKey, rateLimitPerSecond: config.rateLimitPerSecond, redisUrl: config.redisUrl, redisPrefix: config.redisPrefix, trustProxy: config.trustProxy, server: owned?.server, connections: connectionLimits(config), commitMetrics: commits, flowFilesRefused });
  closers.unshift(() => app.close());
  stopping.serve(closers); // before it listens: a signal sent as soon as it answers is not met by Node's default
  const address = await serve(app, config, owned?.server).catch((err: unknown) => Promise.reject(listenError(err, config, named)));
  await owned?.lease.advertise(config.advertiseUrl || address);
  const listeners = await startListeners(core, logger);
  closers.splice(1, 0, ...listeners.map((l) => () => l.close()));
  if (config.adminKey === '') await printFirstAdminKey(keys);
  logger.info({ address, people: people.size() }, 'Junction is listening');
  void indexContacts(people, logger);
}

/** Serves the app: in a cluster on the server this process stood by on, once the app is ready; else listening on Junction's address. Returns where. */
async function serve(app: FastifyInstance, config: JunctionConfig, server: HeldServer | undefined): Promise<string> {
  if (!server) return app.listen({ host: config.host, port: config.port });
  await app.ready();
  return server.address;
}

/**
 * In a cluster, stands by until this process owns the partitions; then opens the store. If either
 * fails, the keys being opened are given up; a store that fails to open once the lease is taken
 * also gives the lease up (another process may take over at once) and closes the held server,
 * so that the process ends with the store's error rather than holding the partitions.
 */
async function ownedStore(
  config: JunctionConfig,
  { logger, stopping, named }: Pick<Serving, 'logger' | 'stopping' | 'named'>,
  keys: OpeningKeys,
): Promise<{ owned?: { lease: ClusterLease; server: HeldServer }; backend: JournalBackend }> {
  let owned: { lease: ClusterLease; server: HeldServer } | undefined;
  try {
    owned = config.cluster ? await standBy(config, logger, named) : undefined;
    stopping.listen(); // standing by, the standby had the signals
    return { owned, backend: await openStore(config, logger, owned?.lease, stopping.wait) };
  } catch (err) {
    await closeAll([() => keys.close(), () => owned?.lease.release(), () => owned && closeServer(owned.server)]);
    throw err;
  }
}

/** Closes the server this process stood by on, its open connections included. */
function closeServer({ server }: HeldServer): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * The example flows and people by default are the package's own, wherever Junction is started
 * from; paths the user gives stay relative to the current directory.
 */
function withPackageExamples(config: JunctionConfig): JunctionConfig {
  return { ...config, flows: examplesByDefault('flows', config.flows), people: examplesByDefault('people', config.people) };
}

/** The recovered people's phones and emails, indexed while serving (a lookup before the end finishes it at once). */
async function indexContacts(people: MemoryPeopleStore, logger: pino.Logger): Promise<void> {
  const started = performance.now();
  const deferred = await people.indexContactsInBackground();
  if (deferred > 0) logger.info({ people: deferred, ms: Math.round(performance.now() - started) }, 'contacts indexed');
}

/** A secret as logged: "[redacted]" when set; an unset one ("", none, an empty list) as it is, so that the log shows it is missing. */
function redacted(value: unknown): unknown {
  const unset = value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
  return unset ? value : '[redacted]';
}

function moduleSettings(registry: Registry): Record<string, Settings> {
  return Object.fromEntries(registry.modules.map((m) => [m.name, registry.settings(m.name)]));
}
