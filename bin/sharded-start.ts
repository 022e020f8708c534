// `junction start` with shards > 1: one process of a sharded cluster (decision 0018;
// engine/cluster/sharded-process.ts), its shards on PostgreSQL or behind Redis (redis+postgres).
// It joins the cluster (the shard count checked, its fair share of the shard leases taken in
// the background), opens the API keys (the server store's), and listens on Junction's address
// at once, with the internal route the processes call each other by
// (gateway/cluster/shard-calls.ts, the clusterSecret) beside the API, over the cluster's Core;
// it advertises advertiseUrl (else the address it listens on). It then waits
// until it serves a shard (up to storeStartTimeoutS) and launches the flows folder through the
// Core (flows-folder.ts: the cluster log, so every process launching the same folder makes one
// version), starts the modules' listeners over the Core, and logs `Junction is listening`. A
// process serving no shard by then (more processes than shards) is a spare: it warns
// JCT_NO_SHARD, serves all the same, and launches the folder once it takes a shard (another
// process stopped or died; a new folder rolled out this way is launched then).
// The people file is read and checked whole before the process joins (bin/people-file.ts); each
// shard loads its part of it as it is taken (people-file-shards.ts). Readiness: ready while it serves at
// least one shard and each of its engines takes input; a process serving none answers /readyz
// 503 JCT_NOT_READY and still serves the API, every call sent to the shard's holder. SIGINT/SIGTERM (stopping.ts): the app closes (requests in flight finished),
// the listeners, then its shards are given up one by one (each engine's last batch written
// before its lease ends, so another process takes it over at once), exit 0.
import type { pino } from 'pino';
import type { JunctionConfig, SettingNamer } from '../config/index.js';
import type { Clock } from '../engine/clock.js';
import type { Registry } from '../engine/module.js';
import { toJunctionError } from '../engine/errors.js';
import { ShardedProcess } from '../engine/cluster/sharded-process.js';
import { buildApp } from '../gateway/app.js';
import { connectionLimits } from '../gateway/connection-limits.js';
import { commitMetrics } from '../gateway/metrics.js';
import { shardCallRoutes } from '../gateway/cluster/shard-calls.js';
import type { RefusedFlowFile } from '../gateway/health.js';
import { packageVersion } from './files.js';
import { flowFiles, launchFolder } from './flows-folder.js';
import { checkedPeopleFileAtStart } from './people-file.js';
import { listenError } from './listen.js';
import { engineSettings, printFirstAdminKey, startListeners, storeChanged } from './serving.js';
import { openKeysEarly, redisInFrontOfShards, storeName, type OpeningKeys } from './store.js';
import { closeAll, StartStopped, type Closer, type Stopping } from './stopping.js';

/** How often the start looks whether this process serves a shard yet (ms). */
const SHARD_POLL_MS = 50;

export interface ShardedStart {
  logger: pino.Logger;
  stopping: Stopping;
  named: SettingNamer;
  clock: Clock;
}

/** Runs this process of the sharded cluster until a signal stops it; a start that fails closes what it opened and rejects. */
export async function startSharded(config: JunctionConfig, registry: Registry, { logger, stopping, named, clock }: ShardedStart): Promise<void> {
  stopping.listen();
  const opening = openKeysEarly(config, stopping.wait);
  /** What is open, closed in this order when Junction stops or its start fails. */
  const closers: Closer[] = [() => opening.close()];
  try {
    await serveShards(config, registry, opening, closers, { logger, stopping, named, clock });
  } catch (err) {
    await stopping.ended(err, closers);
    await closeAll(closers);
    throw err;
  }
}

/** Joins the cluster, serves HTTP, launches the flows folder and starts the listeners; what it opens goes first in `closers`. */
async function serveShards(config: JunctionConfig, registry: Registry, opening: OpeningKeys, closers: Closer[], { logger, stopping, named, clock }: ShardedStart): Promise<void> {
  const commits = commitMetrics();
  const peopleFile = config.people === '' ? undefined : checkedPeopleFileAtStart(config.people, clock, config.timeZone, named);
  const inFront = await redisInFrontOfShards(config, logger);
  const sharded = await ShardedProcess.start({
    url: config.databaseUrl,
    schema: config.databaseSchema,
    shards: config.shards,
    secret: config.clusterSecret,
    ...(config.advertiseUrl === '' ? {} : { address: config.advertiseUrl }),
    leaseMs: config.leaseMs,
    synchronousCommit: config.sync === 'full' ? 'on' : 'off',
    flushMs: config.flushMs,
    registry,
    clock,
    engine: engineSettings(config, logger),
    logger,
    onStoreChange: (err) => storeChanged(logger, err),
    onJournal: (journal) => commits.observe(journal),
    ...(peopleFile === undefined ? {} : { peopleFile }),
    ...inFront,
  });
  closers.unshift(() => sharded.stop());
  logger.info({ shards: config.shards, store: storeName(config) }, 'joined the sharded cluster: taking this process\'s share of the shards');
  await stopping.step('opening the API keys');
  const { keys, copied } = await opening.opened();
  if (copied > 0) logger.info({ keys: copied }, `API keys of ${config.dataDir}/keys.db copied into the store (shared by every process)`);
  await stopping.step('starting to serve');
  const flowFilesRefused: RefusedFlowFile[] = []; // filled once the folder is launched; readyz lists them
  const app = buildApp(sharded.core, { version: packageVersion(), logger, keys, adminKey: config.adminKey, rateLimitPerSecond: config.rateLimitPerSecond, redisUrl: config.redisUrl, redisPrefix: config.redisPrefix, trustProxy: config.trustProxy, connections: connectionLimits(config), commitMetrics: commits, flowFilesRefused });
  shardCallRoutes(app, { secret: config.clusterSecret, calls: sharded.calls, engineOf: (shard) => sharded.engineOf(shard) });
  closers.unshift(() => app.close());
  const address = await app.listen({ host: config.host, port: config.port }).catch((err: unknown) => Promise.reject(listenError(err, config, named)));
  await sharded.advertise(config.advertiseUrl || address);
  const launch = async (): Promise<void> => {
    flowFilesRefused.push(...(await launchFolder(sharded.core, flowFiles(config.flows, named), { logger, stopping })));
  };
  const spare = config.flows !== '' && !(await servingAShard(sharded, Date.now() + config.storeStartTimeoutS * 1000, stopping));
  if (config.flows !== '' && !spare) await launch();
  await stopping.step('starting the listeners');
  const listeners = await startListeners(sharded.core, logger);
  closers.splice(1, 0, ...listeners.map((l) => () => l.close()));
  stopping.serve(closers);
  if (config.adminKey === '') await printFirstAdminKey(keys);
  if (spare) {
    logger.warn({ code: 'JCT_NO_SHARD', shards: config.shards }, `this process serves no shard (more processes than shards?): it serves the API through the processes holding them, and launches the flows folder once it takes a shard`);
    void launchOnceServing(sharded, launch, stopping, logger);
  }
  logger.info({ address, shards: sharded.shards() }, 'Junction is listening');
}

/** Waits until this process serves a shard (the flows folder is launched through one), until `until` (epoch ms); whether it does. A signal ends the wait. */
async function servingAShard(sharded: ShardedProcess, until: number, stopping: Stopping): Promise<boolean> {
  while (sharded.shards().length === 0) {
    if (Date.now() > until) return false;
    await stopping.wait(SHARD_POLL_MS);
  }
  return true;
}

/** A spare's flows folder: launched once it takes a shard, unless Junction stops first. */
async function launchOnceServing(sharded: ShardedProcess, launch: () => Promise<void>, stopping: Stopping, logger: pino.Logger): Promise<void> {
  try {
    await servingAShard(sharded, Infinity, stopping);
    logger.info({ shards: sharded.shards() }, 'a shard taken: launching the flows folder');
    await launch();
  } catch (err) {
    if (!(err instanceof StartStopped)) logger.error({ code: toJunctionError(err, 'JCT_INTERNAL').code, err: (err as Error).message }, 'launching the flows folder failed');
  }
}
