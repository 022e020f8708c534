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
// Every contact or external id held away from its home shard gets its directory row.
// One transaction: the schema holds either the single store still or the sharded cluster, its
// journal tables emptied and the shard count recorded as a first sharded start records it.
import { escapeIdentifier, type ClientBase } from 'pg';
import { JunctionError, aboutSetting } from '../errors.js';
import { idPrefix } from '../id-prefix.js';
import { MOVED_META, SHARDS_META } from '../runtime/engine.js';
import { splitKey } from '../runtime/rows.js';
import { TABLES, type Table } from '../store/journal.js';
import { migrate, onConnection } from '../store/postgres.js';
import { engineKey } from '../store/stored-key.js';
import { directoryKeys, homeOfKey, shardOfPersonId, shardSchema } from './shard-of.js';

/** Rows read per statement, in key order. */
const PAGE = 10_000;
/** Rows written per statement. */
const CHUNK = 5_000;

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
  for (let shard = 0; shard < options.shards; shard++) await migrate(options.url, shardSchema(options.schema, shard));
  return onConnection(options.url, options.schema, async (client, schema) => {
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`junction shards ${schema}`]); // as a first sharded start takes it
      await refuseUnlessMovable(client, schema, options.shards);
      await client.query(`LOCK TABLE ${TABLES.map((t) => `${escapeIdentifier(schema)}.${escapeIdentifier(t)}`).join(', ')} IN EXCLUSIVE MODE`);
      const report = await new Mover(client, schema, options.shards).run();
      await client.query('COMMIT');
      return report;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
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
  for (let shard = 0; shard < shards; shard++) {
    const held = await client.query(`SELECT 1 FROM ${escapeIdentifier(shardSchema(schema, shard))}.meta LIMIT 1`);
    if (held.rows.length > 0) refuse(`the schema "${shardSchema(schema, shard)}" already holds a shard's state: drop it, or move into another databaseSchema`, { configured: shards });
  }
  const directory = await client.query(`SELECT 1 FROM ${name}.directory LIMIT 1`);
  if (directory.rows.length > 0) refuse(`the schema "${schema}" already has directory rows: it was a sharded cluster's`, { configured: shards });
}

function refuse(message: string, details: Record<string, unknown>): never {
  throw new JunctionError('JCT_MOVE_REFUSED', message, aboutSetting('shards', details));
}

/** One move: reads each table of the store in pages and writes its rows into the shards in chunks. */
class Mover {
  private readonly buffers = new Map<string, { keys: string[]; values: string[] }>();
  private readonly people: number[];
  private readonly directory = { keys: [] as string[], shards: [] as number[], people: [] as string[] };
  private directoryRows = 0;
  private participants = 0;
  private rows = 0;

  constructor(
    private readonly client: ClientBase,
    private readonly schema: string,
    private readonly shards: number,
  ) {
    this.people = new Array<number>(shards).fill(0);
  }

  async run(): Promise<MoveReport> {
    for (const table of TABLES) await this.moveTable(table);
    await this.flushAll();
    await this.flushDirectory();
    await this.becomeCluster();
    return { shards: this.shards, people: this.people, participants: this.participants, rows: this.rows, directory: this.directoryRows };
  }

  private async moveTable(table: Table): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await this.client.query<{ key: string; value: string }>(
        `SELECT key, value FROM ${escapeIdentifier(this.schema)}.${escapeIdentifier(table)} ${after === undefined ? '' : 'WHERE key > $1'} ORDER BY key LIMIT ${PAGE}`,
        after === undefined ? [] : [after],
      );
      for (const { key, value } of page.rows) await this.moveRow(table, key, value);
      if (page.rows.length < PAGE) return;
      after = page.rows[page.rows.length - 1]!.key;
    }
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
      if (homeOfKey(key, this.shards) === shard) continue;
      this.directory.keys.push(key);
      this.directory.shards.push(shard);
      this.directory.people.push(id);
    }
  }

  private async put(shard: number, table: Table, key: string, value: string): Promise<void> {
    const at = `${shard}/${table}`;
    let buffer = this.buffers.get(at);
    if (buffer === undefined) this.buffers.set(at, (buffer = { keys: [], values: [] }));
    buffer.keys.push(key);
    buffer.values.push(value);
    if (buffer.keys.length >= CHUNK) await this.flush(at);
  }

  private async flushAll(): Promise<void> {
    for (const at of this.buffers.keys()) await this.flush(at);
  }

  private async flush(at: string): Promise<void> {
    const buffer = this.buffers.get(at)!;
    if (buffer.keys.length === 0) return;
    const [shard, table] = at.split('/') as [string, Table];
    const target = `${escapeIdentifier(shardSchema(this.schema, Number(shard)))}.${escapeIdentifier(table)}`;
    await this.client.query(`INSERT INTO ${target} (key, value) SELECT * FROM unnest($1::text[], $2::text[])`, [buffer.keys, buffer.values]);
    this.rows += buffer.keys.length;
    this.buffers.set(at, { keys: [], values: [] });
  }

  private async flushDirectory(): Promise<void> {
    const { keys, shards, people } = this.directory;
    for (let from = 0; from < keys.length; from += CHUNK) {
      const to = from + CHUNK;
      await this.client.query(`INSERT INTO ${escapeIdentifier(this.schema)}.directory (key, shard, person) SELECT * FROM unnest($1::text[], $2::int[], $3::text[])`, [keys.slice(from, to), shards.slice(from, to), people.slice(from, to)]);
    }
    this.directoryRows = keys.length;
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
