// Performs the effects a step asked for, through the handlers registered for their kinds.
// A handler that throws or rejects is counted per kind and logged; a handler that returns
// a promise has its result (or failure) delivered back to the participant as an input.
import { JunctionError, toJunctionError } from '../errors.js';
import type { EffectContext, ElementRegistry } from '../registry.js';
import type { Effect, Input } from './types.js';

export interface EffectLogger {
  error(obj: object, msg?: string): void;
}

export class EffectRunner {
  /** Effects whose handler threw or rejected, by kind. */
  readonly failures = new Map<string, number>();

  constructor(
    private readonly registry: ElementRegistry,
    private readonly ctx: EffectContext,
    private readonly logger: EffectLogger,
    /** Delivers an asynchronous handler's outcome to the participant that asked. */
    private readonly deliver: (participantId: string, input: Input) => void,
  ) {}

  perform(effects: readonly Effect[]): void {
    for (const effect of effects) {
      const handler = this.registry.effect(effect.kind);
      try {
        if (!handler) throw new JunctionError('JCT_EFFECT_UNKNOWN', `no handler for effect "${effect.kind}"`);
        const out = handler(effect, this.ctx);
        if (out instanceof Promise) this.await(effect, out);
      } catch (err) {
        this.failed(effect, err);
      }
    }
  }

  private await(effect: Effect, promise: Promise<unknown>): void {
    const participantId = effect.key.slice(0, effect.key.indexOf(':'));
    promise.then(
      (result) => this.deliver(participantId, { kind: 'effect.result', key: effect.key, result }),
      (err: unknown) => {
        this.failed(effect, err);
        const error = toJunctionError(err, 'JCT_EFFECT_FAILED').toJSON();
        this.deliver(participantId, { kind: 'effect.failed', key: effect.key, error });
      },
    );
  }

  private failed(effect: Effect, err: unknown): void {
    this.failures.set(effect.kind, (this.failures.get(effect.kind) ?? 0) + 1);
    const e = toJunctionError(err, 'JCT_EFFECT_FAILED');
    this.logger.error({ effect: effect.kind, key: effect.key, code: e.code }, e.message);
  }
}
