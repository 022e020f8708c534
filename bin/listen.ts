// Why a server could not listen on Junction's address, in words an operator can act on (the
// HTTP server of `junction start`, and the standby's server in cluster mode).
import type { JunctionConfig } from '../config/index.js';
import { JunctionError, toJunctionError } from '../engine/errors.js';

/** Why the server could not listen, in words: a port in use is the common case. */
export function listenError(err: unknown, config: JunctionConfig): JunctionError {
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE') return new JunctionError('JCT_PORT_IN_USE', `${config.host}:${config.port} is in use (another Junction?): stop it or choose another port with JUNCTION_PORT`);
  if (code === 'EACCES') return new JunctionError('JCT_PORT_DENIED', `${config.host}:${config.port} may not be used by this user: choose a port above 1023 with JUNCTION_PORT`);
  if (code === 'EADDRNOTAVAIL') return new JunctionError('JCT_HOST_INVALID', `${config.host} is not an address of this machine: check JUNCTION_HOST`);
  return toJunctionError(err, 'JCT_LISTEN_FAILED');
}
