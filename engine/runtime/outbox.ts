// The outbox dispatcher: performs outbox entries once the step that wrote them is durable,
// through the handler the registry picks for each, and hands the outcome back to the engine
// as an input (`effect.result` or `effect.failed`), which removes the entry in its own
// transition. Retryable failures are retried with exponential backoff on the engine's clock (or
// after the delay the other side asked for, when longer); after the last attempt, or on a
// failure that is not retryable, the element's failure path is taken. Both are counted per
// kind. An entry whose deadline passed while it waited (a retry, a rate limit) is failed
// without being performed: its element has already moved on. A handler that declares a rate is
// called no faster than it, per rate key when it names one (a provider's sending number):
// attempts beyond it wait their turn on the engine's clock (rate-limit.ts), neither retries nor
// failures. An entry may also carry its own pace (`pace`: a key and a rate, e.g. a Call
// webhook's sending speed), shared by every entry of that key, waited for first. After a
// restart, entries still in the journal are performed again with the same idempotency key.
import type { Clock, TimerHandle } from '../clock.js';
import { EffectFailure, toJunctionError } from '../errors.js';
import type { EffectContext, EffectHandler, Registry } from '../module.js';
import type { Effect, EffectError, Input } from '../vocabulary.js';
import { RateLimit, type Rate } from './rate-limit.js';

export interface OutboxOptions {
  /** Attempts before a retryable failure is final. Default 6. */
  maxAttempts?: number;
  /** First retry delay (ms); doubled each time, at most 5 minutes. Default 1,000. */
  retryMs?: number;
}

interface Logger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const MAX_DELAY = 5 * 60_000;

export class Outbox {
  /** Failures that took the failure path, by kind. */
  readonly failures = new Map<string, number>();
  /** Retries scheduled, by kind. */
  readonly retries = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Set<TimerHandle>();
  /** By handler, its rate and the limit of each rate key; undefined for a handler without a rate. */
  private readonly limits = new Map<EffectHandler, { rate: Rate; byKey: Map<string, RateLimit> } | undefined>();
  /** The paces entries carry, by their key. */
  private readonly paces = new Map<string, RateLimit>();
  private readonly maxAttempts: number;
  private readonly retryMs: number;
  private closed = false;

  constructor(
    private readonly registry: Registry,
    private readonly ctx: Omit<EffectContext, 'settings'>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Records an outcome: submits it to the inbox of the effect's person. */
    private readonly record: (effect: Effect, input: Input) => void,
    options: OutboxOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 6;
    this.retryMs = options.retryMs ?? 1000;
  }

  dispatch(effects: readonly Effect[]): void {
    for (const effect of effects) this.attempt(effect, 1);
  }

  /** Whether a handler is running now. */
  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** Resolves when no handler is running (retries and attempts waiting for a rate do not count). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) this.clock.cancel(t);
    this.timers.clear();
    for (const limits of this.limits.values()) for (const limit of limits?.byKey.values() ?? []) limit.close();
    for (const pace of this.paces.values()) pace.close();
  }

  private attempt(effect: Effect, attempt: number): void {
    if (this.closed) return;
    try {
      const handler = this.registry.handler(effect);
      const limit = handler && this.limitOf(handler, effect);
      const go = limit ? () => limit.run(() => this.start(effect, handler, attempt)) : () => this.start(effect, handler, attempt);
      const pace = this.paceOf(effect);
      if (pace) pace.run(go);
      else go();
    } catch (err) {
      this.failed(effect, attempt, err);
    }
  }

  /** The pace an entry asks for (its `pace`: key, perSecond; one at a time), made on first use of its key. */
  private paceOf(effect: Effect): RateLimit | undefined {
    const pace = effect['pace'] as { key: string; perSecond: number } | undefined;
    if (pace === undefined) return undefined;
    let limit = this.paces.get(pace.key);
    if (!limit) this.paces.set(pace.key, (limit = new RateLimit({ perSecond: pace.perSecond, burst: 1 }, this.clock)));
    return limit;
  }

  /** The rate limit an entry waits on: its handler's (asked the first time it is used), for the entry's rate key. */
  private limitOf(handler: EffectHandler, effect: Effect): RateLimit | undefined {
    const settings = this.registry.settingsOf(handler);
    if (!this.limits.has(handler)) {
      const rate = handler.rate?.(settings);
      this.limits.set(handler, rate && { rate, byKey: new Map() });
    }
    const limits = this.limits.get(handler);
    if (!limits) return undefined;
    const key = handler.rateKey?.(effect, settings) ?? '';
    let limit = limits.byKey.get(key);
    if (!limit) limits.byKey.set(key, (limit = new RateLimit(limits.rate, this.clock)));
    return limit;
  }

  private start(effect: Effect, handler: EffectHandler | undefined, attempt: number): void {
    const running = this.perform(effect, handler).then(
      (result) => this.record(effect, { kind: 'effect.result', key: effect.key, result: result ?? null }),
      (err: unknown) => this.failed(effect, attempt, err),
    );
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
  }

  private async perform(effect: Effect, handler: EffectHandler | undefined): Promise<unknown> {
    if (!handler) throw new EffectFailure('JCT_EFFECT_UNKNOWN', `no module performs "${effect.kind}"${senderOf(effect)}`, false);
    if (effect.deadline !== undefined && this.clock.now() >= effect.deadline) {
      throw new EffectFailure('JCT_EFFECT_EXPIRED', 'not performed: its element stopped waiting for it (deadline passed while it waited for a retry or its rate limit)', false);
    }
    return handler.perform(effect, { ...this.ctx, settings: this.registry.settingsOf(handler) });
  }

  private failed(effect: Effect, attempt: number, err: unknown): void {
    const error = effectError(err);
    if (error.retryable && attempt < this.maxAttempts && !this.closed) {
      this.retries.set(effect.kind, (this.retries.get(effect.kind) ?? 0) + 1);
      this.logger.warn({ effect: effect.kind, key: effect.key, code: error.code, attempt }, error.message);
      const asked = err instanceof EffectFailure ? (err.retryAfterMs ?? 0) : 0;
      const delay = Math.min(Math.max(this.retryMs * 2 ** (attempt - 1), asked), MAX_DELAY);
      const timer = this.clock.schedule(this.clock.now() + delay, () => {
        this.timers.delete(timer);
        this.attempt(effect, attempt + 1);
      });
      this.timers.add(timer);
      return;
    }
    this.failures.set(effect.kind, (this.failures.get(effect.kind) ?? 0) + 1);
    this.logger.error({ effect: effect.kind, key: effect.key, code: error.code, attempts: attempt }, error.message);
    this.record(effect, { kind: 'effect.failed', key: effect.key, error });
  }
}

function effectError(err: unknown): EffectError {
  const retryable = err instanceof EffectFailure ? err.retryable : false;
  const status = err instanceof EffectFailure ? err.status : undefined;
  const e = toJunctionError(err, 'JCT_EFFECT_FAILED');
  return status === undefined ? { code: e.code, message: e.message, retryable } : { code: e.code, message: e.message, retryable, status };
}

/** An entry's channel and sender, when it has them: a message whose sender no provider lists in its "numbers" setting. */
function senderOf(effect: Effect): string {
  const { channel, from } = effect;
  return typeof channel === 'string' && typeof from === 'string' ? ` on ${channel} from ${from}: no provider that sends ${channel} lists this sender in its "numbers" setting` : '';
}
