// What Add tag and Remove tag share: the config (a list of tags) and the element shape.
import { Type, type Static } from '@sinclair/typebox';
import type { ElementDefinition } from '../element.js';
import type { AttributeCatalog } from '../people/catalog.js';
import { changeProfile } from './profile-change.js';

const TagsConfig = Type.Object(
  { tags: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, uniqueItems: true, description: 'tag names' }) },
  { additionalProperties: false },
);
type TagsConfig = Static<typeof TagsConfig>;

interface Prepared {
  tags: string[];
  catalog: AttributeCatalog;
}

export function tagElement(
  type: string,
  op: 'addTag' | 'removeTag',
  title: string,
  description: string,
  example: TagsConfig,
): ElementDefinition<TagsConfig, Prepared> {
  return {
    type,
    role: 'element',
    title,
    description,
    config: TagsConfig,
    example,
    branches: () => ['next'],
    compile: (config, ctx) => ({ tags: config.tags, catalog: ctx.attributes }),
    execute: (p, run) => {
      changeProfile(run, p.tags.map((tag) => ({ op, tag })), p.catalog);
      return 0;
    },
  };
}
