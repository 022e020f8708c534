// Junction's error factory: every error the product reports carries a stable code
// (JCT_...), a message a person can act on, and optional structured details.
import type { JunctionConfig } from '../config/index.js';

export type ErrorDetails = Record<string, unknown>;

export class JunctionError extends Error {
  readonly code: string;
  readonly details: ErrorDetails | undefined;

  constructor(code: string, message: string, details?: ErrorDetails) {
    super(message);
    this.name = 'JunctionError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: string; message: string; details?: ErrorDetails } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * Details saying which setting an error is about (`details.setting`, a configuration key), so that
 * the `junction` command names it the way the user set it (bin/junction.ts).
 */
export function aboutSetting(setting: keyof JunctionConfig, details: ErrorDetails = {}): ErrorDetails {
  return { ...details, setting };
}

/** Wraps anything thrown into a JunctionError, keeping the code of one that already is. */
export function toJunctionError(err: unknown, code: string): JunctionError {
  if (err instanceof JunctionError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new JunctionError(code, message);
}

/**
 * What an effect handler throws: `retryable` says whether trying again later may succeed;
 * `retryAfterMs`, when the other side said how long to wait (HTTP Retry-After); `status`, the
 * HTTP status of the answer that failed, when there was one (Call webhook branches on it).
 */
export class EffectFailure extends JunctionError {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;

  constructor(code: string, message: string, retryable: boolean, retryAfterMs?: number, status?: number) {
    super(code, message);
    this.name = 'EffectFailure';
    this.retryable = retryable;
    this.retryAfterMs = retryAfterMs;
    this.status = status;
  }
}

/** Milliseconds a Retry-After header asks to wait: delta-seconds or an HTTP date. */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  if (header === undefined || header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
