// Imported for its effect by the tests that start node processes (Junction, scripts): tap runs
// each test file with its process-info hook, for coverage, which this project's tests do not
// collect (package.json), and the hook puts itself into the NODE_OPTIONS of every process the
// test starts (process-on-spawn). It is a module loader on a thread of its own, and costs a
// `junction start` about a second of CPU more, about as much again as the start itself: taken
// out of the environment of each process the test starts, after tap's hook has put it in.
import processOnSpawn from 'process-on-spawn';

const PROCESS_INFO = '@tapjs/processinfo';

processOnSpawn.addListener((spawned) => {
  const options = spawned.env['NODE_OPTIONS'];
  if (options === undefined || !options.includes(PROCESS_INFO)) return;
  const kept = options
    .split(/\s+/)
    .filter((option) => !option.includes(PROCESS_INFO))
    .join(' ');
  spawned.env = { ...spawned.env };
  if (kept === '') delete spawned.env['NODE_OPTIONS'];
  else spawned.env['NODE_OPTIONS'] = kept;
});
