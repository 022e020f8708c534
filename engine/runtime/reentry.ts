// The frequency cap: may this person enter this flow (any version) now? Re-entry on or
// off, a time delay after the last exit, and entry limits (N entries within a period). With
// re-entry off or a delay, a person still inside is refused as such (JCT_PERSON_IN_FLOW) before
// anything else is said; one who was inside before is refused as JCT_REENTRY_DISABLED, one who
// left less than the delay ago as JCT_REENTRY_DELAY.
import { addDuration, subtractDuration } from '../calendar.js';
import type { CompiledSettings } from '../flow/settings.js';

export interface EntryHistory {
  /** Entry times, newest last; trimmed to what the limits need. */
  entries: number[];
  /** Participants of this person inside the flow now. */
  inside: number;
  lastExitAt: number;
}

export type CapVerdict = { ok: true } | { ok: false; reason: string };

const ALLOWED: CapVerdict = { ok: true };

export function checkFrequencyCap(settings: CompiledSettings, history: EntryHistory | undefined, now: number): CapVerdict {
  if (!history || history.entries.length === 0) return ALLOWED;
  const { reentry, timeZone } = settings;
  if ((!reentry.enabled || reentry.delay) && history.inside > 0) return { ok: false, reason: 'JCT_PERSON_IN_FLOW' };
  if (!reentry.enabled) return { ok: false, reason: 'JCT_REENTRY_DISABLED' };
  if (reentry.delay) {
    if (addDuration(history.lastExitAt, reentry.delay, timeZone) > now) return { ok: false, reason: 'JCT_REENTRY_DELAY' };
  }
  for (const limit of reentry.limits) {
    const since = subtractDuration(now, limit.within, timeZone);
    const recent = history.entries.filter((t) => t > since).length;
    if (recent >= limit.count) return { ok: false, reason: 'JCT_ENTRY_LIMIT' };
  }
  return ALLOWED;
}

/** Records an entry, keeping only as many entry times as the largest limit needs. */
export function recordEntry(settings: CompiledSettings, history: EntryHistory, now: number): void {
  history.entries.push(now);
  history.inside++;
  const keep = settings.reentry.entriesKept;
  if (history.entries.length > keep) history.entries.splice(0, history.entries.length - keep);
}
