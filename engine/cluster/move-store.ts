// Moves a store's state into PostgreSQL as the engines that will serve it would have written it
// (decision 0018), while no process uses it: `junction move-to-shards` moves a PostgreSQL store
// one engine kept alone (shards = 1) into the shards of a sharded cluster on the same schema;
// `junction copy-embedded` and `junction copy-redis` copy an embedded or a Redis-alone store (any
// store's rows: StoreRows) into an empty PostgreSQL store, its shards when it has more than one.
// Into shards, each row goes where a shard would have written it: a person's rows (profile,
// participants, entry and event history, seen nodes, references, held inputs, pending effects,
// engaged months, answered inputs) to the shard of their id; what is global (flows, templates,
// definitions, the do-not-contact list, the engine's meta rows) to every shard, a static
// segment's members to the shards holding them; flow metrics and operation reports to shard 0
// (reports over the cluster sum or merge the shards').
// Participants keep their ids, so their effects keep the keys providers and receivers already
// know: a shard's meta rows `moved:<partition>` say up to which sequence an id is the old
// store's (ParticipantTable.keepMovedIds); their rows are keyed as the shard keys its own.
// Every contact or external id held away from its home shard gets its directory row.
// Rows are written in chunks with COPY (text format); a PostgreSQL store is read whole with COPY
// too, as the store reads at open. A row of a person that names none, or is not JSON, refuses
// the move (JCT_STORE_VALUE): placed in every shard, an effect would be sent once from each.
// One transaction: the target holds all of it or nothing; a store moved into shards has its own
// tables emptied and the shard count recorded, as a first sharded start records it.
import { escapeIdentifier, type ClientBase, type PoolClient } from 'pg';
import { JunctionError, aboutSetting } from '../errors.js';
import { idPrefix } from '../id-prefix.js';
import { MOVED_META, SHARDS_META } from '../runtime/engine.js';
import { splitKey } from '../runtime/rows.js';
import { TABLES, type Table } from '../store/journal.js';
import { migrate, onConnection } from '../store/postgres.js';
import { copiedRows, copyChunks, copyField, copyIn } from '../store/postgres-copy.js';
import { engineKey } from '../store/stored-key.js';
import { directoryKeys, homeOfKey, shardOfPersonId, shardSchema } from './shard-of.js';
import type { Person } from '../person.js';

/** Rows written per COPY, at most. */
const CHUNK = 20_000;
/** COPYs queued on the connection before the move waits for them. */
const WRITES_AHEAD = 2;

export interface MoveOptions {
  readonly url: string;
  /** The PostgreSQL store's schema: the cluster's with shards, its shards `<schema>_s<n>` beside it. */
  readonly schema: string;
  readonly shards: number;
  /** Told as each table of the source has been read and its rows placed (tables with none are not told). */
  readonly onTable?: (table: Table, rows: number) => void;
}

/** A store's rows to copy, each table's as [stored key (stored-key.ts), JSON text]. */
export interface StoreRows {
  rows(table: Table): Iterable<[key: string, value: string]> | Promise<Iterable<[key: string, value: string]>>;
}

export interface CopyOptions extends MoveOptions {
  readonly source: StoreRows;
  /** API keys to keep with the store: [id, the key as JSON text]. */
  readonly apiKeys?: ReadonlyArray<[id: string, json: string]>;
}

export interface MoveReport {
  readonly shards: number;
  /** People moved into each shard. */
  readonly people: readonly number[];
  readonly participants: number;
  /** Rows written into the shards' tables, every table counted. */
  readonly rows: number;
  /** Directory rows written: contacts and external ids held away from their home shard. */
  readonly directory: number;
}

/** A shard, or every shard. */
type Place = number | 'all';

/** Moves the single store on `schema` into `shards` shards; refused unless it is one, idle, and the shards' schemas hold nothing. */
export async function moveToShards(options: MoveOptions): Promise<MoveReport> {
  if (!Number.isInteger(options.shards) || options.shards < 2) {
    throw new JunctionError('JCT_MOVE_REFUSED', `moving a store to shards needs shards of 2 or more, not ${String(options.shards)}`, aboutSetting('shards', { configured: options.shards }));
  }
  return inTransaction(options, async (client, schema) => {
    await refuseUnlessMovable(client, schema, options.shards);
    await client.query(`LOCK TABLE ${TABLES.map((t) => `${escapeIdentifier(schema)}.${escapeIdentifier(t)}`).join(', ')} IN EXCLUSIVE MODE`);
    const source = { rows: async (table: Table) => copiedRows(await copyChunks(client, `COPY (SELECT key, value FROM ${escapeIdentifier(schema)}.${escapeIdentifier(table)}) TO STDOUT`)) };
    return { source, finish: () => becomeCluster(client, schema, options.shards) };
  });
}

/** Copies a store's rows into the PostgreSQL store on `schema` (its shards when more than one); refused unless that holds nothing and nobody uses it. */
export async function copyIntoPostgres(options: CopyOptions): Promise<MoveReport> {
  if (!Number.isInteger(options.shards) || options.shards < 1) {
    throw new JunctionError('JCT_MOVE_REFUSED', `shards must be a whole number of 1 or more, not ${String(options.shards)}`, aboutSetting('shards', { configured: options.shards }));
  }
  return inTransaction(options, async (client, schema) => {
    await refuseUnlessEmpty(client, schema, options.shards);
    const finish = async () => {
      for (const [id, json] of options.apiKeys ?? []) await client.query(`INSERT INTO ${escapeIdentifier(schema)}.api_key (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [id, json]);
      if (options.shards > 1) await client.query(`INSERT INTO ${escapeIdentifier(schema)}.meta (key, value) VALUES ($1, $2)`, [SHARDS_META, JSON.stringify(options.shards)]);
    };
    return { source: options.source, finish };
  });
}

/**
 * The work of a move, in one transaction under the lock a first sharded start takes: `prepare`
 * checks and names the rows and what to do once they are written. The shards' schemas are made
 * (each on a connection of its own) while the rows are read; the first write waits for them.
 */
async function inTransaction(options: MoveOptions, prepare: (client: PoolClient, schema: string) => Promise<{ source: StoreRows; finish: () => Promise<void> }>): Promise<MoveReport> {
  await migrate(options.url, options.schema);
  const sharded = options.shards > 1;
  const shardsMade = Promise.all(sharded ? Array.from({ length: options.shards }, (_, shard) => migrate(options.url, shardSchema(options.schema, shard))) : []);
  shardsMade.catch(() => {}); // met by the first write, or below
  return onConnection(options.url, options.schema, async (client, schema) => {
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`junction shards ${schema}`]);
      await refuseLiveProcesses(client, schema, options.shards);
      const { source, finish } = await prepare(client, schema);
      const shardsEmpty = shardsMade.then(() => (sharded ? refuseFilledShards(client, schema, options.shards) : undefined));
      const report = await new Mover(client, schema, options.shards, shardsEmpty).run(source, options.onTable);
      await finish();
      await client.query('COMMIT');
      return report;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      await shardsMade.catch(() => {}); // no schema made after the move ended
      throw err;
    }
  });
}

async function refuseLiveProcesses(client: ClientBase, schema: string, shards: number): Promise<void> {
  const name = escapeIdentifier(schema);
  const live = await client.query<{ name: string }>(`SELECT name FROM ${name}.leases WHERE expires_at > now() UNION SELECT name FROM ${name}.members WHERE expires_at > now()`);
  if (live.rows.length > 0) refuse(`a process still uses the store (${live.rows.map((r) => r.name).join(', ')}): stop every process first`, { configured: shards });
}

/** A store one engine kept: no shard count recorded, something written, no directory. */
async function refuseUnlessMovable(client: ClientBase, schema: string, shards: number): Promise<void> {
  const name = escapeIdentifier(schema);
  const sharded = await client.query<{ value: string }>(`SELECT value FROM ${name}.meta WHERE key = $1`, [SHARDS_META]);
  if (sharded.rows[0]) refuse(`the schema "${schema}" is already a sharded cluster's (shards ${sharded.rows[0].value}): nothing to move`, { stored: Number(sharded.rows[0].value), configured: shards });
  if (!(await holdsState(client, schema))) refuse(`the schema "${schema}" holds no store yet: start the sharded cluster on it directly`, { configured: shards });
  const directory = await client.query(`SELECT 1 FROM ${name}.directory LIMIT 1`);
  if (directory.rows.length > 0) refuse(`the schema "${schema}" already has directory rows: it was a sharded cluster's`, { configured: shards });
}

async function refuseUnlessEmpty(client: ClientBase, schema: string, shards: number): Promise<void> {
  if (await holdsState(client, schema)) refuse(`the schema "${schema}" already holds a store: copy into a new databaseSchema (or drop this one)`, { configured: shards });
}

async function holdsState(client: ClientBase, schema: string): Promise<boolean> {
  const name = escapeIdentifier(schema);
  const found = await client.query(`SELECT 1 FROM ${name}.meta UNION ALL SELECT 1 FROM ${name}.flow UNION ALL SELECT 1 FROM ${name}.person LIMIT 1`);
  return found.rows.length > 0;
}

async function refuseFilledShards(client: ClientBase, schema: string, shards: number): Promise<void> {
  for (let shard = 0; shard < shards; shard++) {
    const held = await client.query(`SELECT 1 FROM ${escapeIdentifier(shardSchema(schema, shard))}.meta LIMIT 1`);
    if (held.rows.length > 0) refuse(`the schema "${shardSchema(schema, shard)}" already holds a shard's state: drop it, or move into another databaseSchema`, { configured: shards });
  }
}

/** The schema becomes the cluster's: its journal tables emptied, its lease and members forgotten, the shard count recorded. */
async function becomeCluster(client: ClientBase, schema: string, shards: number): Promise<void> {
  const name = escapeIdentifier(schema);
  await client.query(`TRUNCATE ${TABLES.map((t) => `${name}.${escapeIdentifier(t)}`).join(', ')}`);
  await client.query(`DELETE FROM ${name}.leases`);
  await client.query(`DELETE FROM ${name}.members`);
  await client.query(`INSERT INTO ${name}.meta (key, value) VALUES ($1, $2)`, [SHARDS_META, JSON.stringify(shards)]);
}

function refuse(message: string, details: Record<string, unknown>): never {
  throw new JunctionError('JCT_MOVE_REFUSED', message, aboutSetting('shards', details));
}

/** One move: each table's rows, from the source, written where they belong in chunks (COPY). */
class Mover {
  /** Lines of COPY text waiting to be written, by shard and table (`3/person`). */
  private readonly buffers = new Map<string, string[]>();
  private readonly people: number[];
  private readonly directory: string[] = [];
  private participants = 0;
  private rows = 0;
  /** The last COPY queued (at first: the shards made and found empty), and how many were. */
  private writing: Promise<unknown>;
  private queued = 0;

  constructor(
    private readonly client: PoolClient,
    private readonly schema: string,
    private readonly shards: number,
    shardsReady: Promise<void>,
  ) {
    this.people = new Array<number>(shards).fill(0);
    this.writing = shardsReady;
    shardsReady.catch(() => {}); // met by the first wait
  }

  async run(source: StoreRows, onTable?: (table: Table, rows: number) => void): Promise<MoveReport> {
    for (const table of TABLES) {
      let rows = 0;
      for (const [key, value] of await source.rows(table)) {
        await this.moveRow(table, key, value);
        rows++;
      }
      if (rows > 0) onTable?.(table, rows);
    }
    for (const at of this.buffers.keys()) await this.flush(at);
    for (let from = 0; from < this.directory.length; from += CHUNK) {
      await this.write(`COPY ${escapeIdentifier(this.schema)}.directory (key, shard, person) FROM STDIN`, this.directory.slice(from, from + CHUNK).join(''));
    }
    await this.writing;
    return { shards: this.shards, people: this.people, participants: this.participants, rows: this.rows, directory: this.directory.length };
  }

  private get sharded(): boolean {
    return this.shards > 1;
  }

  private async moveRow(table: Table, key: string, value: string): Promise<void> {
    if (table === 'meta') return this.moveMeta(key, value);
    if (table === 'definition') return this.moveDefinition(key, value);
    const place = placeOf(table, key, value, this.shards);
    if (table === 'person') this.personMoved(engineKey(key), value, place as number);
    if (table === 'participant') this.participants++;
    if (place !== 'all') return this.put(place, table, table === 'participant' && this.sharded ? idPrefix(place) + key : key, value);
    for (let shard = 0; shard < this.shards; shard++) await this.put(shard, table, key, value);
  }

  /** The engine's meta rows go to every shard; each partition's last participant sequence also says which ids are moved ones. */
  private async moveMeta(key: string, value: string): Promise<void> {
    for (let shard = 0; shard < this.shards; shard++) {
      await this.put(shard, 'meta', key, value);
      if (key.startsWith('seq:') && this.sharded) await this.put(shard, 'meta', MOVED_META + key.slice(4), value);
    }
  }

  /** A static segment's members go to the shards holding them; every other definition to every shard as it is. */
  private async moveDefinition(key: string, value: string): Promise<void> {
    const item = rowValue<{ members?: unknown }>('definition', key, value);
    for (let shard = 0; shard < this.shards; shard++) {
      const members = Array.isArray(item.members) ? item.members.filter((id) => shardOfPersonId(String(id), this.shards) === shard) : undefined;
      await this.put(shard, 'definition', key, members === undefined ? value : JSON.stringify({ ...item, members }));
    }
  }

  private personMoved(id: string, value: string, shard: number): void {
    this.people[shard]!++;
    if (!this.sharded) return;
    for (const key of directoryKeys(rowValue<Person>('person', id, value))) {
      if (homeOfKey(key, this.shards) !== shard) this.directory.push(`${copyField(key)}\t${shard}\t${copyField(id)}\n`);
    }
  }

  private async put(shard: number, table: Table, key: string, value: string): Promise<void> {
    const at = `${shard}/${table}`;
    let lines = this.buffers.get(at);
    if (lines === undefined) this.buffers.set(at, (lines = []));
    lines.push(`${copyField(key)}\t${copyField(value)}\n`);
    if (lines.length >= CHUNK) await this.flush(at);
  }

  private async flush(at: string): Promise<void> {
    const lines = this.buffers.get(at)!;
    if (lines.length === 0) return;
    const [shard, table] = at.split('/') as [string, Table];
    const schema = this.sharded ? shardSchema(this.schema, Number(shard)) : this.schema;
    await this.write(`COPY ${escapeIdentifier(schema)}.${escapeIdentifier(table)} (key, value) FROM STDIN`, lines.join(''));
    this.rows += lines.length;
    this.buffers.set(at, []);
  }

  /**
   * Queues a COPY on the connection and goes on reading rows while PostgreSQL writes (the two
   * share the machine's cores); waits once WRITES_AHEAD are queued. A failed one fails the next
   * wait, and the move with it.
   */
  private async write(copy: string, text: string): Promise<void> {
    const written = this.writing.then(() => copyIn(this.client, copy, text));
    written.catch(() => {}); // met by the next wait
    this.writing = written;
    if (++this.queued % WRITES_AHEAD === 0) await written;
  }
}

/** The shard a row of a table other than meta and definition goes to, or every shard; a row of a person that names none is refused (JCT_STORE_VALUE). */
function placeOf(table: Exclude<Table, 'meta' | 'definition'>, key: string, value: string, shards: number): Place {
  const of = (personId: unknown): Place => {
    if (typeof personId === 'string' && personId !== '') return shardOfPersonId(personId, shards);
    throw new JunctionError('JCT_STORE_VALUE', `the ${table} row "${engineKey(key)}" names no person: it cannot be placed in a shard (nothing was moved)`, { table, key: engineKey(key) });
  };
  switch (table) {
    case 'flow':
    case 'dnc':
    case 'template':
      return 'all';
    case 'metrics':
    case 'operation':
      return 0;
    case 'person':
      return of(engineKey(key));
    case 'participant':
    case 'held':
      return of(rowValue<unknown[]>(table, key, value)[2]);
    case 'outbox':
    case 'ref':
      return of(rowValue<{ personId?: unknown }>(table, key, value).personId);
    case 'dedup':
      return of(rowValue<{ receipt?: { personId?: unknown } }>(table, key, value).receipt?.personId);
    case 'history':
    case 'seen':
    case 'engaged':
      return of(splitKey(engineKey(key))[1]);
    case 'event':
      return of(splitKey(engineKey(key))[0]);
  }
}

/** A row's value parsed; one that is not JSON of an object is refused (JCT_STORE_VALUE), naming its table and key. */
function rowValue<T>(table: Table, key: string, value: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed === 'object' && parsed !== null) return parsed as T;
  throw new JunctionError('JCT_STORE_VALUE', `the ${table} row "${engineKey(key)}" is not a JSON object or list: it cannot be moved (nothing was moved)`, { table, key: engineKey(key) });
}
