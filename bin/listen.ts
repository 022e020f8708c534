// Why a server could not listen on Junction's address (the HTTP server of `junction start`, and
// the standby's server in cluster mode): engine/listen-error.ts with JUNCTION_HOST and JUNCTION_PORT.
import type { JunctionConfig } from '../config/index.js';
import type { JunctionError } from '../engine/errors.js';
import { listenError as inWords } from '../engine/listen-error.js';

export function listenError(err: unknown, config: JunctionConfig): JunctionError {
  return inWords(err, { host: config.host, port: config.port, hostVariable: 'JUNCTION_HOST', portVariable: 'JUNCTION_PORT' });
}
