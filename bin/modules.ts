// The modules this build of Junction is made of. Adding a provider, dialect or importer is one
// line here; every command builds its one Registry from this list, `start` with the settings
// the configuration gives each module (refused when two providers list one sender alike), the
// others with the modules' defaults.
import { coreModule } from '../engine/elements/index.js';
import { messagingModule } from '../engine/messaging/index.js';
import { eventsModule } from '../engine/events/index.js';
import { Registry, type Module } from '../engine/module.js';
import twilio from '../channels/twilio/index.js';
import vonage from '../channels/vonage/index.js';
import plivo from '../channels/plivo/index.js';
import telnyx from '../channels/telnyx/index.js';
import infobip from '../channels/infobip/index.js';
import metaWhatsApp from '../channels/meta-whatsapp/index.js';
import email from '../channels/email/index.js';
import generic from '../channels/generic/index.js';
import { ivrModule } from '../ivr/index.js';
import { VOICE_MODULES } from '../ivr/providers.js';
import { dirname, resolve } from 'node:path';
import { loadModuleSettings, secretPaths, unknownVariables, type SettingsSpec } from '../config/modules.js';
import { ConfigError, type JunctionConfig } from '../config/index.js';
import { senderConflicts } from '../channels/provider.js';

export const MODULES: readonly Module[] = [coreModule, messagingModule, eventsModule, ivrModule, twilio, vonage, plivo, telnyx, infobip, metaWhatsApp, email, generic, ...VOICE_MODULES];

/**
 * The registry of every module; with a configuration, each module's settings loaded from it and
 * `env` (file paths in `configFile`'s modules taken from its folder).
 */
export function assembleRegistry(config?: JunctionConfig, env: NodeJS.ProcessEnv = {}, configFile?: string): Registry {
  if (!config) return new Registry(MODULES, {});
  const settings = loadModuleSettings(settingsSpecs(), config.modules, env, config.dataDir, configFile ? dirname(resolve(configFile)) : '');
  const problems = senderConflicts(MODULES, (name) => settings[name] ?? {});
  if (problems.length > 0) throw new ConfigError(`configuration is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { problems });
  return new Registry(MODULES, settings);
}

/** pino redaction paths of every module secret, for the configuration logged under `at`. */
export function moduleSecretPaths(at: string): string[] {
  return secretPaths(settingsSpecs(), at);
}

/** The JUNCTION_ variables of `env` that are no setting of Junction or of its modules (config/modules.ts). */
export function ignoredVariables(env: NodeJS.ProcessEnv): Array<{ name: string; meant?: string }> {
  return unknownVariables(settingsSpecs(), env);
}

function settingsSpecs(): SettingsSpec[] {
  return MODULES.flatMap((m) => (m.config ? [{ name: m.name, ...m.config }] : []));
}
