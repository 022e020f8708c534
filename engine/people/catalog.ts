// The attribute catalog: every name a condition, template or profile update may refer to,
// with its value type. Standard and contact attributes are fixed; custom ones come from
// the people store's definitions; channel attributes are `<channel>.lastContactedAt`; `tags` is
// the person's tags as a list (read-only: the tag elements and changes write them).
import type { ValueType } from '../values.js';
import { CHANNELS, CONTACT_ATTRIBUTES, STANDARD_ATTRIBUTES, type AttributeDefinition } from '../person.js';

export type AttributeKind = 'standard' | 'custom' | 'contact' | 'channel' | 'tags';

export interface AttributeInfo {
  readonly name: string;
  readonly type: ValueType;
  readonly kind: AttributeKind;
}

export class AttributeCatalog {
  private readonly byName = new Map<string, AttributeInfo>();

  constructor(custom: Iterable<AttributeDefinition> = []) {
    for (const [name, type] of Object.entries(STANDARD_ATTRIBUTES)) this.add({ name, type, kind: 'standard' });
    for (const [name, type] of Object.entries(CONTACT_ATTRIBUTES)) this.add({ name, type, kind: 'contact' });
    for (const channel of CHANNELS) this.add({ name: `${channel}.lastContactedAt`, type: 'datetime', kind: 'channel' });
    this.add({ name: 'tags', type: 'list', kind: 'tags' });
    for (const def of custom) {
      if (this.byName.has(def.name)) throw new Error(`custom attribute shadows a built-in one: ${def.name}`);
      this.add({ name: def.name, type: def.type, kind: 'custom' });
    }
  }

  get(name: string): AttributeInfo | undefined {
    return this.byName.get(name);
  }

  all(): AttributeInfo[] {
    return [...this.byName.values()];
  }

  private add(info: AttributeInfo): void {
    this.byName.set(info.name, info);
  }
}
