// A journal backend that keeps nothing: benchmarks of the engine in memory pay the journal's
// bookkeeping (rows gathered into batches) but no store.
import type { JournalBackend } from '../../engine/store/journal.js';

export const nowhere: JournalBackend = { load: () => [], commit: () => {}, close: () => {} };
