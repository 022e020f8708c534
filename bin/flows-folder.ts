// Launching the flows folder at start, through the Core (engine/core.ts): each flow file that
// is new or changed since it was last launched from the folder is saved and launched; one that
// is unchanged is left as it runs. In a sharded cluster the saves and launches go through the
// cluster log and the comparison reads `core.front`, a shard served here, up to date with the
// log: so processes launching the same folder make one version of each file. Two of them
// starting at once may both append a save of one file; the log applies the first and refuses
// the other as stale (JCT_CLUSTER_DIVERGED), and the file is compared again, now unchanged.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { basename, join } from 'node:path';
import type { pino } from 'pino';
import type { SettingNamer } from '../config/index.js';
import type { Core } from '../engine/core.js';
import { JunctionError, toJunctionError } from '../engine/errors.js';
import type { RefusedFlowFile } from '../gateway/health.js';
import { readJson } from './files.js';
import type { Stopping } from './stopping.js';

/** The flow files of the folder, by path in name order; a folder that cannot be read stops the start, named with its setting. */
export function flowFiles(folder: string, named: SettingNamer): string[] {
  try {
    return readdirSync(folder).filter((f) => f.endsWith('.json')).sort().map((f) => join(folder, f));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : (err as Error).message;
    throw new JunctionError('JCT_FILE_UNREADABLE', `cannot read the flows folder ${folder}: ${reason} (${named('flows')}; "" for none)`);
  }
}

/**
 * Launches each flow file that changed since it was last launched from the folder (or that no
 * version has yet). A flow changed through the API since (a new version, or its schedule, goal
 * or audience edited in place) is left as it is while its file stays the same: a restart does
 * not undo it. The file is compared by the digest kept when it was launched; stores from before
 * digests were kept compare it with that version's definition, and from before versions were
 * marked with the latest launched version. A file that cannot be read or launched is logged and
 * skipped, and so is every file whose flow id another file of the folder has too. A signal stops
 * it between two files.
 */
export async function launchFolder(core: Core, paths: readonly string[], { logger, stopping }: { logger: pino.Logger; stopping: Stopping }): Promise<RefusedFlowFile[]> {
  const refused: RefusedFlowFile[] = [];
  const docs = new Map<string, { id?: unknown }>();
  for (const path of paths) {
    const file = basename(path);
    try {
      docs.set(file, readJson(path) as { id?: unknown });
    } catch (err) {
      refused.push(logFileError(logger, file, err));
    }
  }
  for (const [file, doc] of docs) {
    await stopping.step('launching the flows folder'); // a signal stops the start between files, never inside one
    try {
      refuseSharedId(file, doc, docs);
      await launchFile(core, doc, logger).catch((err: unknown) => (isStale(err) ? launchFile(core, doc, logger) : Promise.reject(err)));
    } catch (err) {
      refused.push(logFileError(logger, file, err));
    }
  }
  return refused;
}

/**
 * One file per flow id: two files of one flow would each be a change from the other, so every
 * start would launch two new versions of it. None of them is launched; the running version goes on.
 */
function refuseSharedId(file: string, doc: { id?: unknown }, docs: ReadonlyMap<string, { id?: unknown }>): void {
  const others = [...docs].filter(([other, d]) => other !== file && typeof doc.id === 'string' && d.id === doc.id).map(([other]) => other);
  if (others.length > 0) {
    throw new JunctionError('JCT_FLOW_ID_DUPLICATE', `flow "${String(doc.id)}" is also in ${others.join(', ')} of the flows folder: keep one file per flow id (none of them is launched; a running version goes on)`);
  }
}

async function launchFile(core: Core, doc: { id?: unknown }, logger: pino.Logger): Promise<void> {
  const versions = typeof doc.id === 'string' ? core.front.flowVersions(doc.id) : [];
  const launched = versions.filter((v) => v.status !== 'draft');
  const fromFile = launched.findLast((v) => v.fromFile) ?? (versions.some((v) => v.fromFile) ? undefined : launched.at(-1));
  const fileDigest = digestOf(doc);
  if (fromFile && (fromFile.fileDigest === undefined ? isDeepStrictEqual(fromFile.definition, doc) : fromFile.fileDigest === fileDigest)) {
    const latest = versions.at(-1)!;
    logger.info({ flow: latest.id, version: latest.version, status: latest.status, ...(latest !== fromFile ? { file: fromFile.version } : {}) }, 'flow recovered');
    return;
  }
  const record = await core.save(doc, { fileDigest });
  await core.launch(record.id);
  logger.info({ flow: record.id, version: record.version, status: record.status }, 'flow launched');
}

/** Another process of the cluster launched the file first: the cluster log refused this one's change as stale. */
function isStale(err: unknown): boolean {
  return err instanceof JunctionError && err.code === 'JCT_CLUSTER_DIVERGED';
}

/** Logs why a flow file was not launched, and returns it as readyz lists it. */
function logFileError(logger: pino.Logger, file: string, err: unknown): RefusedFlowFile {
  const e = toJunctionError(err, 'JCT_INTERNAL');
  logger.error({ file, code: e.code, problems: e.details?.['problems'] }, e.message);
  return { file, code: e.code, message: e.message };
}

/** The SHA-256 of a flow file's document, as launched. */
function digestOf(doc: unknown): string {
  return createHash('sha256').update(JSON.stringify(doc)).digest('hex');
}
