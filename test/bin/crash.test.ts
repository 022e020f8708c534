// The crash test (crash-run.ts) on the embedded store, with 10,000 people.
import t from 'tap';
import { CRASH_TEST, crashRun } from './crash-run.js';

/** Kills, restarts and a loaded machine (CI runs three files at a time): more than tap's 120 s a file. */
t.setTimeout(300_000);

const PEOPLE = Number(process.env['JUNCTION_CRASH_PEOPLE'] ?? 10_000);

t.test(`embedded store: ${CRASH_TEST}`, { timeout: 300_000 }, (t) => crashRun(t, {}, PEOPLE));
