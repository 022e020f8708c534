// Moves the state of a store one engine kept alone on PostgreSQL (shards = 1) into the shards of
// a sharded cluster on the same schema (decision 0018): `junction move-to-shards`, run while no
// process uses the store. Each row goes where a shard would have written it: a person's rows
// (profile, participants, entry and event history, seen nodes, references, held inputs,
// pending effects, engaged months, answered inputs) to the shard of their id; what is global
// (flows, templates, definitions, the do-not-contact list, the engine's meta rows) to every
// shard, a static segment's members to the shards holding them; flow metrics and operation
// reports to shard 0 (reports over the cluster sum or merge the shards').
// Participants keep their ids, so their effects keep the keys providers and receivers already
// know: a shard's meta rows `moved:<partition>` say up to which sequence an id is the old
// store's (ParticipantTable.keepMovedIds); their rows are keyed as the shard keys its own.
// Tables are read whole and written in chunks with COPY (text format), as the store reads at open.
// Every contact or external id held away from its home shard gets its directory row.
// One transaction: the schema holds either the single store still or the sharded cluster, its
// journal tables emptied and the shard count recorded as a first sharded start records it.
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

/** Rows written per COPY, at most. */
const CHUNK = 20_000;
/** COPYs queued on the connection before the move waits for them. */
const WRITES_AHEAD = 2;

export interface MoveOptions {
  readonly url: string;
  /** The store's schema: the cluster's once moved, its shards `<schema>_s<n>` beside it. */
  readonly schema: string;
  readonly shards: number;
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
  await migrate(options.url, options.schema);
  // The shards' schemas are made (each on a connection of its own) while the store is read: a first write waits for them.
  const shardsMade = Promise.all(Array.from({ length: options.shards }, (_, shard) => migrate(options.url, shardSchema(options.schema, shard))));
  shardsMade.catch(() => {}); // met by the first write, or below
  return onConnection(options.url, options.schema, async (client, schema) => {
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`junction shards ${schema}`]); // as a first sharded start takes it
      await refuseUnlessMovable(client, schema, options.shards);
      await client.query(`LOCK TABLE ${TABLES.map((t) => `${escapeIdentifier(schema)}.${escapeIdentifier(t)}`).join(', ')} IN EXCLUSIVE MODE`);
      const shardsEmpty = shardsMade.then(() => refuseFilledShards(client, schema, options.shards));
      const report = await new Mover(client, schema, options.shards, shardsEmpty).run();
      await client.query('COMMIT');
      return report;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      await shardsMade.catch(() => {}); // no schema made after the move ended
      throw err;
    }
  });
}

async function refuseUnlessMovable(client: ClientBase, schema: string, shards: number): Promise<void> {
  const name = escapeIdentifier(schema);
  const sharded = await client.query<{ value: string }>(`SELECT value FROM ${name}.meta WHERE key = $1`, [SHARDS_META]);
  if (sharded.rows[0]) refuse(`the schema "${schema}" is already a sharded cluster's (shards ${sharded.rows[0].value}): nothing to move`, { stored: Number(sharded.rows[0].value), configured: shards });
  const store = await client.query(`SELECT 1 FROM ${name}.meta UNION ALL SELECT 1 FROM ${name}.flow UNION ALL SELECT 1 FROM ${name}.person LIMIT 1`);
  if (store.rows.length === 0) refuse(`the schema "${schema}" holds no store yet: start the sharded cluster on it directly`, { configured: shards });
  const live = await client.query<{ name: string }>(`SELECT name FROM ${name}.leases WHERE expires_at > now() UNION SELECT name FROM ${name}.members WHERE expires_at > now()`);
  if (live.rows.length > 0) refuse(`a process still uses the store (${live.rows.map((r) => r.name).join(', ')}): stop every process first, then move`, { configured: shards });
  const directory = await client.query(`SELECT 1 FROM ${name}.directory LIMIT 1`);
  if (directory.rows.length > 0) refuse(`the schema "${schema}" already has directory rows: it was a sharded cluster's`, { configured: shards });
}

async function refuseFilledShards(client: ClientBase, schema: string, shards: number): Promise<void> {
  for (let shard = 0; shard < shards; shard++) {
    const held = await client.query(`SELECT 1 FROM ${escapeIdentifier(shardSchema(schema, shard))}.meta LIMIT 1`);
    if (held.rows.length > 0) refuse(`the schema "${shardSchema(schema, shard)}" already holds a shard's state: drop it, or move into another databaseSchema`, { configured: shards });
  }
}

function refuse(message: string, details: Record<string, unknown>): never {
  throw new JunctionError('JCT_MOVE_REFUSED', message, aboutSetting('shards', details));
}

/** One move: reads each table of the store whole (COPY) and writes its rows into the shards in chunks (COPY). */
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

  async run(): Promise<MoveReport> {
    for (const table of TABLES) await this.moveTable(table);
    for (const at of this.buffers.keys()) await this.flush(at);
    for (let from = 0; from < this.directory.length; from += CHUNK) {
      await this.write(`COPY ${escapeIdentifier(this.schema)}.directory (key, shard, person) FROM STDIN`, this.directory.slice(from, from + CHUNK).join(''));
    }
    await this.writing;
    await this.becomeCluster();
    return { shards: this.shards, people: this.people, participants: this.participants, rows: this.rows, directory: this.directory.length };
  }

  private async moveTable(table: Table): Promise<void> {
    const chunks = await copyChunks(this.client, `COPY (SELECT key, value FROM ${escapeIdentifier(this.schema)}.${escapeIdentifier(table)}) TO STDOUT`);
    for (const [key, value] of copiedRows(chunks)) await this.moveRow(table, key, value);
  }

  private async moveRow(table: Table, key: string, value: string): Promise<void> {
    if (table === 'meta') return this.moveMeta(key, value);
    if (table === 'definition') return this.moveDefinition(key, value);
    const place = placeOf(table, key, value, this.shards);
    if (table === 'person') this.personMoved(engineKey(key), value, place as number);
    if (table === 'participant') this.participants++;
    if (place !== 'all') return this.put(place, table, table === 'participant' ? idPrefix(place) + key : key, value);
    for (let shard = 0; shard < this.shards; shard++) await this.put(shard, table, key, value);
  }

  /** The engine's meta rows go to every shard; each partition's last participant sequence also says which ids are moved ones. */
  private async moveMeta(key: string, value: string): Promise<void> {
    for (let shard = 0; shard < this.shards; shard++) {
      await this.put(shard, 'meta', key, value);
      if (key.startsWith('seq:')) await this.put(shard, 'meta', MOVED_META + key.slice(4), value);
    }
  }

  /** A static segment's members go to the shards holding them; every other definition to every shard as it is. */
  private async moveDefinition(key: string, value: string): Promise<void> {
    const item = JSON.parse(value) as { members?: unknown };
    for (let shard = 0; shard < this.shards; shard++) {
      const members = Array.isArray(item.members) ? item.members.filter((id) => shardOfPersonId(String(id), this.shards) === shard) : undefined;
      await this.put(shard, 'definition', key, members === undefined ? value : JSON.stringify({ ...item, members }));
    }
  }

  private personMoved(id: string, value: string, shard: number): void {
    this.people[shard]!++;
    for (const key of directoryKeys(JSON.parse(value))) {
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
    await this.write(`COPY ${escapeIdentifier(shardSchema(this.schema, Number(shard)))}.${escapeIdentifier(table)} (key, value) FROM STDIN`, lines.join(''));
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

  /** The schema becomes the cluster's: its journal tables emptied, its lease and members forgotten, the shard count recorded. */
  private async becomeCluster(): Promise<void> {
    const name = escapeIdentifier(this.schema);
    await this.client.query(`TRUNCATE ${TABLES.map((t) => `${name}.${escapeIdentifier(t)}`).join(', ')}`);
    await this.client.query(`DELETE FROM ${name}.leases`);
    await this.client.query(`DELETE FROM ${name}.members`);
    await this.client.query(`INSERT INTO ${name}.meta (key, value) VALUES ($1, $2)`, [SHARDS_META, JSON.stringify(this.shards)]);
  }
}

/** The shard a row of a table other than meta and definition goes to, or every shard. */
function placeOf(table: Exclude<Table, 'meta' | 'definition'>, key: string, value: string, shards: number): Place {
  const of = (personId: unknown): Place => (typeof personId === 'string' ? shardOfPersonId(personId, shards) : 'all');
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
      return of((JSON.parse(value) as unknown[])[2]);
    case 'outbox':
    case 'ref':
      return of((JSON.parse(value) as { personId?: unknown }).personId);
    case 'dedup':
      return of((JSON.parse(value) as { receipt?: { personId?: unknown } }).receipt?.personId);
    case 'history':
    case 'seen':
    case 'engaged':
      return of(splitKey(engineKey(key))[1]);
    case 'event':
      return of(splitKey(engineKey(key))[0]);
  }
}
