// Why a server could not listen on its address, in words an operator can act on, naming the
// settings to change: Junction's HTTP server (and a standby's) and the servers modules run
// besides it (the SMTP listener).
import { JunctionError, toJunctionError } from './errors.js';

/** The address a server was to listen on and the environment variables that set it. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  readonly hostVariable: string;
  readonly portVariable: string;
}

/** Why the server could not listen: a port in use is the common case; a host that is not this machine's, or no address at all. */
export function listenError(err: unknown, at: ListenAddress): JunctionError {
  const code = (err as { code?: string }).code;
  const where = `${at.host}:${at.port}`;
  if (code === 'EADDRINUSE') return new JunctionError('JCT_PORT_IN_USE', `${where} is in use (another Junction?): stop it or choose another port with ${at.portVariable}`);
  if (code === 'EACCES') return new JunctionError('JCT_PORT_DENIED', `${where} may not be used by this user: choose a port above 1023 with ${at.portVariable}`);
  if (code === 'EADDRNOTAVAIL') return new JunctionError('JCT_HOST_INVALID', `${at.host} is not an address of this machine: check ${at.hostVariable}`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new JunctionError('JCT_HOST_INVALID', `${at.host} is not an address and names no host: check ${at.hostVariable}`);
  return toJunctionError(err, 'JCT_LISTEN_FAILED');
}
