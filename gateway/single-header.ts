// Headers a request must carry at most once. Node keeps the first of some repeated headers
// (Authorization) and joins the values of others with ", " (Idempotency-Key): either way, a
// proxy in front may have read another value than we do, so a repeat is refused instead.
import type { IncomingMessage } from 'node:http';
import { JunctionError } from '../engine/errors.js';

/** Throws 400 `code` when the request carries the header `name` (any case) more than once. */
export function requireSingleHeader(req: Pick<IncomingMessage, 'rawHeaders'>, name: string, code: string): void {
  const raw = req.rawHeaders;
  const lower = name.toLowerCase();
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === lower && ++n > 1) throw new JunctionError(code, `the request carries several ${name} headers; send one`);
}
