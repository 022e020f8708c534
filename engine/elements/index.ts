// Loads the engine's own elements so each registers itself. Channels, IVR and importers
// register theirs from their own folders; nothing here lists those.
import './exit.js';
import './flow-api.js';
import './predefined-audience.js';
import './segment-audience.js';
import './pause.js';
import './update-profile.js';
import './add-tag.js';
import './remove-tag.js';
import './add-to-do-not-contact.js';
import './remove-from-do-not-contact.js';
import './split-audience.js';
import './update-variable.js';
