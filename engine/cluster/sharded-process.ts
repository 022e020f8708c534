// One process of a sharded cluster, put together (decision 0018): it takes its fair share of the
// shard leases (store/postgres-shard-leases.ts), opens an engine per shard it holds over the
// shard's own schema `<schema>_s<n>` (with Redis in front: a stream of its own, `<prefix>s<n>:`,
// drained into it), fenced by that shard's lease and writing the directory in each commit
// (shard-host.ts, directory-rows.ts), ending a version only as the cluster finds it
// (sharded-core.ts `across`), brings it up to date with the cluster log before it serves, and gives the gateway a Core (sharded-core.ts) that routes every call to its
// shard, here or in the process holding it (shard-router.ts, peer-calls.ts). What a caller of
// this module adds: the HTTP app over `core`, with the internal route (`calls`) on it.
import type { Clock } from '../clock.js';
import { Registry, type Module } from '../module.js';
import { Engine, type EngineOptions, type VersionAcross } from '../runtime/engine.js';
import { GroupCommit } from '../store/journal.js';
import { MemoryPeopleStore } from '../store/memory-people.js';
import { PostgresBackend, type PostgresOptions } from '../store/postgres.js';
import type { RedisPostgresBackend, Server } from '../store/redis-postgres.js';
import { ShardLeases, type ShardLease } from '../store/postgres-shard-leases.js';
import type { JunctionError } from '../errors.js';
import { SHARD_CALLS, withCatchUp, type ShardCalls } from './calls.js';
import { Directory } from './directory.js';
import { DirectoryRows } from './directory-rows.js';
import { LoggedChanges } from './logged-changes.js';
import { PeerCalls } from './peer-calls.js';
import { ClusterLog } from './postgres-cluster-log.js';
import { ShardedCore } from './sharded-core.js';
import { ShardHost, type OpenedShard } from './shard-host.js';
import { sharedPeopleFile } from './people-file-shards.js';
import { loadPeople, partAtStart, type PeopleFile } from '../people-file.js';
import { fixShardCount } from './shard-count.js';
import { shardSchema } from './shard-of.js';
import { idPrefix } from '../id-prefix.js';
import { ShardRouter } from './shard-router.js';
import { clusterEffectsModule } from './cluster-effects.js';

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ShardedProcessOptions {
  /** The cluster's PostgreSQL. */
  readonly url: string;
  /** The cluster's schema (leases, members, cluster log, directory); shard n keeps its state in `<schema>_s<n>`. */
  readonly schema: string;
  readonly shards: number;
  /** The secret the processes of the cluster call each other with. */
  readonly secret: string;
  /** Where the other processes reach this one's HTTP (its advertised address); set later with advertise() when not known yet. */
  readonly address?: string;
  readonly leaseMs?: number;
  /** How often a process looks for shards to take or give up (ms). */
  readonly pollMs?: number;
  readonly synchronousCommit?: 'on' | 'off';
  /** Redis in front of PostgreSQL: each shard's batches are made durable in a stream of its own (`<prefix>s<n>:`), fenced by the shard's lease, and drained into its schema. */
  readonly redis?: { readonly url: string; readonly prefix: string };
  /** Told when a shard's drain loses Redis or PostgreSQL and when it is back (Redis in front only). */
  readonly onServer?: (server: Server, err: unknown) => void;
  /** Group commit's longest wait (ms). */
  readonly flushMs?: number;
  readonly registry: Registry;
  readonly clock: Clock;
  /** The engine's settings besides its clock, people, registry, journal and ids. */
  readonly engine?: Omit<EngineOptions, 'clock' | 'people' | 'registry' | 'journal' | 'idPrefix'>;
  readonly logger: Logger;
  /** Told when a shard's store is out of reach or back (as one store's is). */
  readonly onStoreChange?: (err: unknown) => void;
  /** Given each shard's journal as the shard opens (its commits observed for the metrics). */
  readonly onJournal?: (journal: GroupCommit) => void;
  /** The people file, checked: each shard loads its part as it recovers (people-file-shards.ts). */
  readonly peopleFile?: PeopleFile;
}

export class ShardedProcess {
  private constructor(
    readonly core: ShardedCore,
    /** The calls the internal route serves (gateway/cluster/shard-calls.ts), with `engineOf`. */
    readonly calls: ShardCalls,
    private readonly host: ShardHost<ShardLease>,
    private readonly leases: ShardLeases,
    private readonly parts: { readonly directory: Directory; readonly log: ClusterLog; readonly changes: LoggedChanges; readonly peers: PeerCalls },
  ) {}

  /** Checks the shard count (shard-count.ts), connects, starts taking shards and listening to the cluster log; resolves before any shard may be held. */
  static async start(options: ShardedProcessOptions): Promise<ShardedProcess> {
    const { url, schema, shards } = options;
    await fixShardCount({ url, schema, shards });
    let core: ShardedCore | undefined;
    const registry = withModule(options.registry, clusterEffectsModule(() => core!));
    const directory = await Directory.open({ url, schema });
    const log = await ClusterLog.open({ url, schema, shards });
    const peers = new PeerCalls(options.secret);
    const changes = new LoggedChanges(log, () => core?.engines() ?? []);
    const peopleFile = options.peopleFile && sharedPeopleFile(options.peopleFile, shards);
    const host = new ShardHost<ShardLease>({ open: (lease) => openShard({ ...options, registry }, lease, { across: core!.across, directory, peopleFile }), ready: (engine) => changes.apply(engine).then(() => core?.opened(engine)), logger: options.logger });
    const calls = withCatchUp(SHARD_CALLS, (engine) => changes.apply(engine));
    const router = new ShardRouter({ shards, engineOf: (shard) => host.engine(shard), holders: () => leases.holders(), peers, calls });
    core = new ShardedCore({ registry, host, router, directory, changes });
    await changes.listen();
    const leases = await ShardLeases.start({
      url,
      schema,
      shards,
      ...(options.leaseMs === undefined ? {} : { ttlMs: options.leaseMs }),
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      ...(options.address === undefined ? {} : { address: options.address }),
      onTaken: (lease) => host.take(lease),
      onSurplus: (shard) => host.give(shard),
      onLost: (shard, reason) => host.lost(shard, reason),
      onStoreError: (err: JunctionError) => options.logger.warn({ code: err.code }, `cluster: ${err.message}`),
    });
    return new ShardedProcess(core, calls, host, leases, { directory, log, changes, peers });
  }

  /** The engine of a shard served here (the internal route's `engineOf`). */
  engineOf(shard: number): Engine | undefined {
    return this.host.engine(shard);
  }

  /** The shards served here now. */
  shards(): number[] {
    return this.host.shards();
  }

  /** Where the other processes reach this one (known once it listens). */
  advertise(address: string): Promise<void> {
    return this.leases.advertise(address);
  }

  /** Gives every shard up in good order (each engine closes, then its lease ends), then closes the rest. */
  async stop(): Promise<void> {
    await this.leases.stop();
    await this.host.closeAll();
    const { changes, log, directory, peers } = this.parts;
    await changes.close();
    await Promise.all([log.close(), directory.close(), peers.close()]);
  }
}

/** What every shard a process opens shares. */
interface ShardsShare {
  readonly across: VersionAcross;
  readonly directory: Directory;
  readonly peopleFile: ReturnType<typeof sharedPeopleFile> | undefined;
}

/**
 * A shard's store over its own schema (behind a Redis stream of its own with Redis in front),
 * fenced by its lease, writing the directory, whose rows are read and mended where the
 * recovered people differ (behind Redis before the shard serves, on PostgreSQL alone once it
 * does); its engine making ids of the shard; its part of the people file.
 */
async function openShard(options: ShardedProcessOptions, lease: ShardLease, { across, directory, peopleFile }: ShardsShare): Promise<OpenedShard> {
  const rows = new DirectoryRows({ schema: options.schema, shard: lease.shard, shards: options.shards });
  const postgres = {
    url: options.url,
    schema: shardSchema(options.schema, lease.shard),
    fence: lease,
    alsoWrite: rows,
    ...(options.synchronousCommit === undefined ? {} : { synchronousCommit: options.synchronousCommit }),
  };
  const backend = options.redis === undefined ? await PostgresBackend.open(postgres) : await openBehindRedis(options.redis, options.onServer, lease, postgres, rows, directory);
  const journal = new GroupCommit(backend, { ...(options.flushMs === undefined ? {} : { flushMs: options.flushMs }), ...(options.onStoreChange ? { onStoreChange: options.onStoreChange } : {}) });
  options.onJournal?.(journal);
  const prefix = idPrefix(lease.shard);
  const people = new MemoryPeopleStore(options.clock, prefix);
  const engine = new Engine({ ...options.engine, clock: options.clock, people, registry: options.registry, journal, idPrefix: prefix, sharded: true, across });
  const mend = options.redis === undefined
    ? { serving: () => mendOnceRead(rows, directory.rowsOfShard(lease.shard), people, lease.shard, options.logger) }
    : { recovered: () => rows.recovered(people.all()) };
  const shard = { engine, backend, indexContacts: () => people.indexContactsInBackground(), ...mend };
  if (peopleFile === undefined) return shard;
  const mine = peopleFile.shareOf(lease.shard);
  return { ...shard, peopleFile: (restored) => loadPeople(peopleFile.file, people, engine.timeZone, partAtStart(restored, mine)) };
}

/**
 * On PostgreSQL alone a shard's rows are written in the transaction of the batch that changes
 * its people, so they are never out of step with them: the shard serves first, then reads its
 * rows (not beside its open, whose time they would share) and holds them against its people
 * (the mend rewrites those changed since the read: harmless), which makes every row known. Until
 * then a new person at home costs a statement, as before the rows were known. Rows that cannot
 * be read leave it so, said once.
 */
function mendOnceRead(rows: DirectoryRows, reading: Promise<Map<string, string>>, people: MemoryPeopleStore, shard: number, logger: Logger): void {
  reading.then(
    (read) => {
      rows.taken(read);
      rows.recovered(people.all());
    },
    (err: unknown) => logger.warn({ shard, code: (err as JunctionError).code }, `shard ${shard}: its directory rows could not be read (${(err as Error).message}); each new person costs a directory statement until it is taken again`),
  );
}

/**
 * A shard's store with Redis in front: its stream under a prefix of its own, fenced in Redis by
 * the shard lease's token (which only grows). Its directory rows may be out of step (a holder
 * may die between Redis and the rows): they are read while the store opens (nobody else writes
 * them once the lease is taken) and held against its people before it serves.
 */
async function openBehindRedis(redis: NonNullable<ShardedProcessOptions['redis']>, onServer: ShardedProcessOptions['onServer'], lease: ShardLease, postgres: PostgresOptions, rows: DirectoryRows, directory: Directory): Promise<RedisPostgresBackend> {
  const reading = directory.rowsOfShard(lease.shard);
  reading.catch(() => {}); // met below, once the store is open
  const { RedisPostgresBackend } = await import('../store/redis-postgres.js');
  const backend = await RedisPostgresBackend.open({ redis: { url: redis.url, prefix: `${redis.prefix}s${lease.shard}:`, fence: lease }, postgres, ...(onServer ? { onServer } : {}) });
  try {
    rows.taken(await reading);
    return backend;
  } catch (err) {
    await backend.close();
    throw err;
  }
}

/** The registry with one more module, every module keeping its settings. */
function withModule(registry: Registry, module: Module): Registry {
  return new Registry([...registry.modules, module], Object.fromEntries(registry.modules.map((m) => [m.name, registry.settings(m.name)])));
}
