// `junction schema`: the flow JSON Schema, generated from the TypeBox declarations of the
// flow format and of every element the assembled modules declare (docs/flow.schema.json is this output).
import { Type, type TSchema } from '@sinclair/typebox';
import type { Registry } from '../../engine/module.js';
import type { ElementDefinition } from '../../engine/element.js';
import { flowSchema, nodeSchema } from '../../engine/flow-schema.js';

export function flowJsonSchema(registry: Registry): TSchema {
  const nodes = (role: 'entry' | 'element'): TSchema =>
    Type.Union(
      registry
        .all()
        .filter((d) => d.role === role)
        .sort((a, b) => a.type.localeCompare(b.type))
        .map((d) => ({ ...nodeSchema(Type.Literal(d.type), d.config), ...neverTaken(d), title: d.title, description: d.description })),
    );
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Junction flow',
    ...flowSchema(nodes('entry'), nodes('element')),
  };
}

/** The branches an element's config never takes, as validate refuses them: if the config is such, no connection there. */
function neverTaken(def: ElementDefinition): { allOf?: object[] } {
  const rules = def.branchesNeverTaken ?? [];
  if (rules.length === 0) return {};
  return {
    allOf: rules.map((n) => ({
      if: { properties: { config: n.config } },
      then: { properties: { branches: { propertyNames: { not: { enum: n.branches } } } } },
    })),
  };
}

export function schemaCommand(registry: Registry, out: (line: string) => void): number {
  out(JSON.stringify(flowJsonSchema(registry), null, 2));
  return 0;
}
