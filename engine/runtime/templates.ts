// Flow templates by id: the built-in ones the product ships (given to the engine at start,
// never journaled) and the ones saved from flows (journaled by the engine in the `template`
// table). Ids follow the flow Identifier pattern; a built-in id is never taken by a saved one.
import { JunctionError } from '../errors.js';
import { Identifier, isIdentifier, type FlowDefinition } from '../flow-schema.js';
import { OrderedMap, type Ordered } from '../ordered.js';

export interface TemplateRecord {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly definition: FlowDefinition;
  readonly builtIn: boolean;
  /** Epoch ms it was saved; built-in templates have none. */
  readonly savedAt?: number;
}

export class Templates {
  private readonly byId = new OrderedMap<TemplateRecord>();

  /** Built-in templates from flow definitions: each takes its definition's id, name and description. */
  constructor(builtIn: readonly FlowDefinition[]) {
    for (const definition of builtIn) {
      this.add({ id: definition.id, name: definition.name, description: definition.description ?? '', definition, builtIn: true });
    }
  }

  /** Every template, by id. */
  all(): Ordered<TemplateRecord> {
    return this.byId;
  }

  get(id: string): TemplateRecord | undefined {
    return this.byId.get(id);
  }

  require(id: string): TemplateRecord {
    const template = this.byId.get(id);
    if (!template) throw new JunctionError('JCT_TEMPLATE_UNKNOWN', `no template with id "${id}"`);
    return template;
  }

  /** Adds a template; refuses an id that is not an identifier or is taken. */
  add(template: TemplateRecord): void {
    if (!isIdentifier(template.id)) {
      throw new JunctionError('JCT_TEMPLATE_ID', `"${String(template.id)}" is not a template id: ${Identifier.description!.toLowerCase()}`);
    }
    if (this.byId.has(template.id)) throw new JunctionError('JCT_TEMPLATE_EXISTS', `a template with id "${template.id}" exists already`);
    this.byId.set(template.id, template);
  }

  /** Removes a saved template; built-in ones stay. */
  remove(id: string): void {
    if (this.require(id).builtIn) throw new JunctionError('JCT_TEMPLATE_BUILT_IN', `template "${id}" is built in and cannot be deleted`);
    this.byId.delete(id);
  }

  /** A saved template back from the store; one shadowed by a built-in of the same id stays stored, unused. */
  restore(template: TemplateRecord): void {
    if (!this.byId.has(template.id)) this.byId.set(template.id, template);
  }
}
