// What both ways of `junction start` share (commands/start.ts: one engine; sharded-start.ts:
// one process of a sharded cluster): the engine's settings from the configuration, the modules'
// listeners started over the Core, the first admin key, and the store's state changes logged.
import type { pino } from 'pino';
import type { JunctionConfig } from '../config/index.js';
import type { Core } from '../engine/core.js';
import type { EngineOptions } from '../engine/runtime/engine.js';
import { toJunctionError } from '../engine/errors.js';
import type { KeyStore } from '../gateway/auth/keys.js';
import { builtInTemplates } from './templates.js';

/** The engine's settings the configuration gives (each engine of a sharded process has them too). */
export function engineSettings(config: JunctionConfig, logger: pino.Logger): Pick<EngineOptions, 'partitions' | 'logger' | 'dedupWindowMs' | 'referenceWindowMs' | 'eventRetentionMs' | 'templates' | 'timeZone'> {
  return {
    partitions: config.partitions,
    logger,
    dedupWindowMs: config.dedupHours * 3600_000,
    referenceWindowMs: config.referenceDays * 86_400_000,
    eventRetentionMs: config.eventRetentionDays * 86_400_000,
    templates: builtInTemplates(),
    timeZone: config.timeZone,
  };
}

/** While the store is out of reach (or its disk full) input is refused (503) and the batch in progress is tried again; both moments are logged once. */
export function storeChanged(logger: pino.Logger, err: unknown): void {
  if (err === undefined) return void logger.info({ code: 'JCT_STORE_BACK' }, 'the store is back: taking input again');
  const e = toJunctionError(err, 'JCT_STORE_UNAVAILABLE');
  const what = e.code === 'JCT_DISK_FULL' ? "the data directory's disk is full: input is refused (503) until space is freed" : 'the store is out of reach: input is refused (503) until it is back';
  logger.error({ code: e.code, err: e.message }, what);
}

/** A batch the store refused for good (a failing disk, a read-only data directory; a full disk is tried again): said once, as it happens. */
export function storeFailed(logger: pino.Logger, err: unknown): void {
  const e = toJunctionError(err, 'JCT_STORE_FAILED');
  logger.error({ code: e.code, err: e.message }, 'the store refused a batch for good: input is refused (503) until Junction is restarted');
}

/** Starts the servers modules run besides HTTP (e.g. SMTP), each with its module's settings. */
export async function startListeners(core: Core, logger: pino.Logger): Promise<Array<{ close(): Promise<void> }>> {
  const { registry } = core;
  return Promise.all(registry.listeners.map((l) => l.start({ ...core.routeContext(registry.settingsOf(l)), logger: logger.child({ listener: l.name }) })));
}

/** With no key at all (revoked ones count), creates an admin key and prints it, once, on stderr: never in the log (stdout). */
export async function printFirstAdminKey(keys: KeyStore): Promise<void> {
  if (keys.list().length > 0) return;
  const { key } = keys.create('first admin key', ['admin']);
  await keys.written();
  process.stderr.write(`admin key (shown once): ${key}\n`);
}
