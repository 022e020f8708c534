// The built-in flow templates: the example flows the package ships that serve as starting
// points for new flows, read from its examples folder (the engine gets them as definitions).
import type { FlowDefinition } from '../engine/flow-schema.js';
import { packageFile, readJson } from './files.js';

/** The example flows that are built-in templates, by id (each file is `examples/flows/<id>.json`). */
export const BUILT_IN_TEMPLATES = ['welcome', 'appointment-reminder', 'abandoned-cart'] as const;

export function builtInTemplates(): FlowDefinition[] {
  return BUILT_IN_TEMPLATES.map((id) => readJson(packageFile(`examples/flows/${id}.json`)) as FlowDefinition);
}
