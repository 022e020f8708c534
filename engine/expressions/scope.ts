// What expressions and templates are evaluated against, what an evaluation returns, and the
// evaluation in progress. cel-js calls function handlers and reads variables without any
// context of ours, so the scope and the flow time zone are parked here for the duration of
// one evaluation; evaluation is synchronous, so nothing else can run in between.
import { JunctionError } from '../errors.js';
import type { Person } from '../person.js';
import type { Value } from '../values.js';

export const EXPRESSION_FAILED = 'JCT_EXPRESSION_FAILED';

export interface ExpressionScope {
  readonly vars: Readonly<Record<string, Value>>;
  readonly person: Person;
  /** The evaluation time, epoch ms; `now()` returns it. */
  readonly now: number;
}

export type EvalResult = { ok: true; value: Value } | { ok: false; code: string; message: string };

let scope: ExpressionScope | undefined;
let zone = 'UTC';

/** Marks the start of an evaluation; pair with leave() in a `finally`. */
export function enter(next: ExpressionScope, timeZone: string): void {
  scope = next;
  zone = timeZone;
}

export function leave(): void {
  scope = undefined;
}

export function currentScope(): ExpressionScope {
  if (scope === undefined) throw evaluationFailed('no expression is being evaluated');
  return scope;
}

/** The time zone of the flow whose expression is being evaluated. */
export function currentZone(): string {
  return zone;
}

export function evaluationFailed(message: string): JunctionError {
  return new JunctionError(EXPRESSION_FAILED, message);
}
