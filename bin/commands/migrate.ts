// `junction migrate [--config CONFIG.json]`: brings the configured PostgreSQL store's schema (also
// behind Redis, store redis+postgres) to
// this version's (start does it too, under the same advisory lock, so running it first is for
// operators who migrate before rolling out). The embedded and Redis stores upgrade themselves
// at start: for them it says so and changes nothing.
import { loadConfig } from '../../config/index.js';
import { storeKind, storeName } from '../store.js';

export async function migrateCommand(configFile: string | undefined, env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const config = loadConfig(env, configFile);
  if (!storeKind(config).includes('postgres')) {
    out(`nothing to migrate: the store is ${storeName(config)}, which upgrades itself at start`);
    return 0;
  }
  const { migrate } = await import('../../engine/store/postgres.js'); // loaded only where a PostgreSQL store is configured
  const { from, to, applied } = await migrate(config.databaseUrl, config.databaseSchema);
  out(applied.length === 0 ? `${storeName(config)} is at schema version ${to}: nothing to do` : `${storeName(config)}: schema version ${from} → ${to} (${applied.join(', ')})`);
  return 0;
}
