// The core module: the engine's own entry points, elements and effect handlers. Channels,
// IVR and importers declare their own modules in their folders; bin/ assembles them all.
import type { Module } from '../module.js';
import exit from './exit.js';
import flowApi from './flow-api.js';
import predefinedAudience from './predefined-audience.js';
import segmentAudience from './segment-audience.js';
import pause from './pause.js';
import updateProfile from './update-profile.js';
import addTag from './add-tag.js';
import removeTag from './remove-tag.js';
import addToDoNotContact from './add-to-do-not-contact.js';
import removeFromDoNotContact from './remove-from-do-not-contact.js';
import splitAudience from './split-audience.js';
import updateVariable from './update-variable.js';
import callWebhook from './call-webhook.js';
import existingFlow from './existing-flow.js';
import addToFlow from './add-to-flow.js';
import { httpRequest, HttpRequestSettings } from '../effects/http-request.js';

export const coreModule: Module = {
  name: 'core',
  elements: [
    exit,
    flowApi,
    predefinedAudience,
    segmentAudience,
    pause,
    updateProfile,
    addTag,
    removeTag,
    addToDoNotContact,
    removeFromDoNotContact,
    splitAudience,
    updateVariable,
    callWebhook,
    existingFlow,
    addToFlow,
  ],
  effects: [httpRequest],
  config: { schema: HttpRequestSettings, secrets: ['httpSigningSecret'] },
};
