// Every call-control dialect by name, for whoever picks one from a provider's settings.
import { jambonz } from './jambonz.js';
import { ncco } from './ncco.js';
import { plivo } from './plivo.js';
import { texml, twiml } from './twiml.js';

export { jambonz, readJambonzCall, jambonzVerbs, type JambonzSecrets } from './jambonz.js';
export { verifyJambonz, jambonzSignature } from './jambonz-signature.js';
export { ncco, verifyVonageVoice, type VonageVoiceSecrets } from './ncco.js';
export { plivo } from './plivo.js';
export { texml, twiml } from './twiml.js';

export const DIALECTS = { twiml, texml, ncco, plivo, jambonz } as const;
export type DialectName = keyof typeof DIALECTS;
