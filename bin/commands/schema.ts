// `junction schema`: the flow JSON Schema, generated from the TypeBox declarations of the
// flow format and of every element the assembled modules declare (docs/flow.schema.json is this output).
import { Type, type TSchema } from '@sinclair/typebox';
import type { Registry } from '../../engine/module.js';
import { flowSchema, nodeSchema } from '../../engine/flow-schema.js';

export function flowJsonSchema(registry: Registry): TSchema {
  const nodes = (role: 'entry' | 'element'): TSchema =>
    Type.Union(
      registry
        .all()
        .filter((d) => d.role === role)
        .sort((a, b) => a.type.localeCompare(b.type))
        .map((d) => ({ ...nodeSchema(Type.Literal(d.type), d.config), title: d.title, description: d.description })),
    );
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Junction flow',
    ...flowSchema(nodes('entry'), nodes('element')),
  };
}

export function schemaCommand(registry: Registry, out: (line: string) => void): number {
  out(JSON.stringify(flowJsonSchema(registry), null, 2));
  return 0;
}
