// `junction start`: loads configuration, people and the flows folder, launches every valid
// flow on the real clock and serves HTTP until stopped (SIGINT/SIGTERM).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import { Engine } from '../../engine/runtime/engine.js';
import { SystemClock } from '../../engine/clock.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';
import { loadPeople } from '../../engine/people/load.js';
import { JunctionError } from '../../engine/errors.js';
import { buildApp } from '../../gateway/app.js';
import { readJson } from '../files.js';

export async function startCommand(configFile: string | undefined): Promise<void> {
  const config = loadConfig(process.env, configFile);
  const logger = pino({ level: config.logLevel });
  const clock = new SystemClock();
  const people = new MemoryPeopleStore(clock);
  if (config.people !== '') loadPeople(readJson(config.people), people);
  const engine = new Engine({ clock, people, logger });
  launchFolder(engine, config.flows, logger);
  const app = buildApp(engine);
  const address = await app.listen({ host: config.host, port: config.port });
  logger.info({ address, people: people.size() }, 'Junction is listening');
  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    engine.close();
    void app.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function launchFolder(engine: Engine, folder: string, logger: pino.Logger): void {
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.json')).sort()) {
    try {
      const record = engine.save(readJson(join(folder, file)));
      engine.launch(record.id);
      logger.info({ flow: record.id, status: record.status }, 'flow launched');
    } catch (err) {
      const e = err instanceof JunctionError ? err : new JunctionError('JCT_INTERNAL', String(err));
      logger.error({ file, code: e.code, problems: e.details?.['problems'] }, e.message);
    }
  }
}
