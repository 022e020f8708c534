// Why a server could not listen on Junction's address (the HTTP server of `junction start`, and
// the standby's server in cluster mode): engine/listen-error.ts naming the host and port settings
// as the user set them (JUNCTION_HOST and JUNCTION_PORT, or the configuration file's).
import type { JunctionConfig, SettingNamer } from '../config/index.js';
import type { JunctionError } from '../engine/errors.js';
import { listenError as inWords } from '../engine/listen-error.js';

export function listenError(err: unknown, config: JunctionConfig, named: SettingNamer): JunctionError {
  return inWords(err, { host: config.host, port: config.port, hostVariable: named('host'), portVariable: named('port') });
}
