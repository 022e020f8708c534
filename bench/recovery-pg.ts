// recovery-pg — the recovery scenario (recovery.ts) on PostgreSQL: start-to-serving time of
// `junction start` with 1,000,000 waiting participants (200,000 with --quick) and their people
// in Postgres, beside the same command on an empty schema. Target: < 10 s.
// Postgres: BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test; the run's
// schemas are its own and dropped afterwards. Also logs the schema's size on disk (tables and
// indexes, pg_total_relation_size) per waiting participant.
import { randomBytes } from 'node:crypto';
import { PostgresBackend } from '../engine/store/postgres.js';
import { PG_URL, dropSchema, query } from './lib/postgres.js';
import { recoveryScenario, type RecoveryStore } from './recovery.js';

function postgres(): RecoveryStore {
  const run = randomBytes(4).toString('hex');
  const schemaOf = (name: string) => `jct_recovery_${run}_${name}`;
  const made: string[] = [];
  return {
    open: async (name) => {
      made.push(schemaOf(name));
      return PostgresBackend.open({ url: PG_URL, schema: schemaOf(name), synchronousCommit: 'off' });
    },
    env: (name) => ({ DATABASE_URL: PG_URL, JUNCTION_DATABASE_SCHEMA: schemaOf(name) }),
    bytes: async (name) => Number((await query(PG_URL, `SELECT sum(pg_total_relation_size(c.oid))::text AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`, [schemaOf(name)]))[0]!['bytes']),
    clean: async () => {
      for (const schema of made) await dropSchema(schema);
    },
  };
}

export default recoveryScenario('recovery-pg', postgres, 'PostgreSQL');
