// Typed payloads at the edge: a provider's webhook body is checked against a TypeBox schema
// (compiled once) after its signature verified, so the adapter reads only what it declared.
// At most 20 problems are listed, so a hostile body costs time linear in its size. The items
// of a batch may be read one at a time, a malformed one passed over (BatchItems).
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { payloadInvalid } from './errors.js';
import { JunctionError } from '../engine/errors.js';
import type { DeliveryReport, InboundMessage } from '../engine/messaging/message.js';
import type { WebhookContent } from './provider.js';

const MAX_PROBLEMS = 20;

/**
 * A checker for one payload shape: returns the body typed, or throws JCT_PAYLOAD_INVALID (400)
 * naming each problem's path from `at` (the place of the checked part in the whole body, "$" for the body).
 */
export function payload<T extends TSchema>(schema: T, what: string): (body: unknown, at?: string) => Static<T> {
  const check = TypeCompiler.Compile(schema);
  return (body, at = '$') => {
    if (check.Check(body)) return body;
    const problems: Array<{ path: string; message: string }> = [];
    for (const e of check.Errors(body)) {
      problems.push({ path: `${at}${e.path.replace(/\//g, '.')}`, message: e.message });
      if (problems.length === MAX_PROBLEMS) break;
    }
    throw payloadInvalid(`the ${what} is not what the provider sends: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { problems });
  };
}

/**
 * A provider batch's items read one at a time: a malformed one (JCT_PAYLOAD_INVALID) is kept
 * aside in `malformed`, so that the others are applied (see WebhookContent.malformed).
 */
export class BatchItems implements WebhookContent {
  readonly messages: InboundMessage[] = [];
  readonly reports: DeliveryReport[] = [];
  readonly malformed: JunctionError[] = [];

  /** Reads one item into `into` (nothing when `read` gives undefined: a kind not carried). */
  one<T>(read: () => T | undefined, into: T[]): void {
    try {
      const item = read();
      if (item !== undefined) into.push(item);
    } catch (err) {
      if (!(err instanceof JunctionError) || err.code !== 'JCT_PAYLOAD_INVALID') throw err;
      this.malformed.push(err);
    }
  }
}
