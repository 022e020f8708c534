// How `junction start` stops on SIGINT or SIGTERM (standing by in a cluster, standby.ts has the
// signals). While it is still starting (opening the store, recovering the state, launching the
// flows folder, opening the API keys) the signal is logged as `stopping` with what the start was
// doing, and the start stops at its next step: a flow file is launched whole or not at all, what
// was made so far is written, everything opened is closed, exit 0. Once it serves, everything is
// closed at once, in order (requests in flight finished). Either way `stopped` is logged last,
// with how long the stop took and the journal's last batch made durable; a close that fails logs
// `stopping failed` instead, exit 1. A second signal while stopping forces the stop: one line
// (`stop forced`) and exit FORCED_EXIT at once, without waiting for what is in progress. That
// loses nothing acknowledged, as a crash does not: an input is answered only once durable.
import type { pino } from 'pino';
import { toJunctionError } from '../engine/errors.js';
import type { GroupCommit } from '../engine/store/journal.js';

/** The exit code of a stop forced by a second signal. */
export const FORCED_EXIT = 4;

/** What a forced stop leaves, said in its log line. */
const FORCED =
  'stop forced by a second signal: exiting now; nothing acknowledged is lost (every input answered was durable first), ' +
  'requests not yet answered and the batch being written are cut (their senders retry), effects under way are performed again at the next start with the same idempotency key';

/** From now on SIGINT and SIGTERM force the stop: `stop forced` is logged and the process exits with FORCED_EXIT (`during`: what the stop was doing). */
export function forceOnSignal(logger: pino.Logger, during: string): void {
  const force = (signal: NodeJS.Signals): never => {
    logger.warn({ code: 'JCT_STOP_FORCED', signal, during, exitCode: FORCED_EXIT }, FORCED);
    process.exit(FORCED_EXIT);
  };
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
}

/** Closes one thing Junction opened. */
export type Closer = () => unknown;

/** Closes each in order, every one even when one before failed; resolves with the first failure, if any. */
export async function closeAll(closers: readonly Closer[]): Promise<unknown> {
  let failure: unknown;
  for (const close of closers) {
    try {
      await close();
    } catch (err) {
      failure ??= err;
    }
  }
  return failure;
}

/** What a signal cut short: the start ends at this step. */
export class StartStopped extends Error {
  constructor() {
    super('stopped by a signal while starting');
  }
}

export class Stopping {
  /** What the start is doing, for the `stopping` line. */
  private doing = 'opening the store';
  private signal: NodeJS.Signals | undefined;
  private stoppedAt = 0;
  /** Set once Junction serves: a signal closes these at once. */
  private serving: readonly Closer[] | undefined;
  /** Waits of the start that a signal cuts short. */
  private readonly waking = new Set<() => void>();
  private journal: GroupCommit | undefined;
  private lastBatch: { rows: number; at: string } | undefined;

  constructor(private readonly logger: pino.Logger) {}

  /** From now on SIGINT and SIGTERM stop Junction (a signal before this has Node's default). */
  listen(): void {
    process.once('SIGINT', this.stop);
    process.once('SIGTERM', this.stop);
  }

  /** The journal whose last durable batch `stopped` tells. */
  track(journal: GroupCommit): void {
    this.journal = journal;
    journal.observeCommits((rows) => (this.lastBatch = { rows, at: new Date().toISOString() }));
  }

  /** The start goes on to `doing`, with no wait (a signal is seen at the next step). */
  now(doing: string): void {
    this.doing = doing;
  }

  /** The start goes on to `doing`, unless a signal came (seen here: the event loop is let run first): StartStopped. */
  async step(doing: string): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.signal !== undefined) throw new StartStopped();
    this.doing = doing;
  }

  /** A wait of the start (between tries to reach the store); a signal ends it with StartStopped. */
  readonly wait = (ms: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (this.signal !== undefined) return reject(new StartStopped());
      const wake = (): void => {
        clearTimeout(timer);
        this.waking.delete(wake);
        reject(new StartStopped());
      };
      const timer = setTimeout(() => {
        this.waking.delete(wake);
        resolve();
      }, ms);
      this.waking.add(wake);
    });

  /** Junction serves: a signal from now on closes `closers` at once (the list as it is then). */
  serve(closers: readonly Closer[]): void {
    this.serving = closers;
  }

  /** Ends a start that failed: when a signal stopped it, closes `closers` and exits; else resolves for the caller to report `err`. */
  async ended(err: unknown, closers: readonly Closer[]): Promise<void> {
    if (err instanceof StartStopped) await this.close(closers);
  }

  private readonly stop = (signal: NodeJS.Signals): void => {
    process.off('SIGINT', this.stop); // a SIGTERM after a SIGINT (or the other way) is a second signal too
    process.off('SIGTERM', this.stop);
    forceOnSignal(this.logger, this.serving ? 'closing' : `stopping the start (${this.doing})`);
    this.signal = signal;
    this.stoppedAt = performance.now();
    this.logger.info({ signal, ...(this.serving ? {} : { during: this.doing }) }, 'stopping');
    if (this.serving) void this.close(this.serving);
    for (const wake of [...this.waking]) wake();
  };

  /** Closes everything, then says so and exits: 0, or 1 when closing failed. */
  private async close(closers: readonly Closer[]): Promise<never> {
    const failure = await closeAll(closers);
    if (failure !== undefined) {
      const e = toJunctionError(failure, 'JCT_INTERNAL');
      this.logger.error({ code: e.code, err: e.message }, 'stopping failed');
      process.exit(1);
    }
    const journal = this.journal ? { batches: this.journal.batches, lastBatch: this.lastBatch ?? null } : {};
    this.logger.info({ ms: Math.round(performance.now() - this.stoppedAt), ...journal }, 'stopped');
    process.exit(0);
  }
}
