// The event catalog: every event name a flow may wait for, start on, count in a segment or set
// as its goal, with its typed properties. Three groups are built in — people events (a profile
// was created or changed, a tag added or removed), product events (a person entered or exited a
// flow) and the channel events modules declare (`message.delivered`, …) — and custom events come
// from the people store's definitions. Built-in names contain a dot and custom names cannot, so
// the two never meet. Custom events are the only ones apps may send in (ingestion refuses the
// others: Junction itself records them); check() types a custom event's properties.
import { JunctionError } from '../errors.js';
import { coerceValue, type Value, type ValueType } from '../values.js';
import type { EventDefinition, EventProperty } from '../person.js';

export type { EventDefinition, EventProperty };

export type EventGroup = 'custom' | 'people' | 'product' | 'channel';

export interface EventInfo extends EventDefinition {
  readonly group: EventGroup;
  /** Properties by name. */
  readonly byName: ReadonlyMap<string, ValueType>;
}

/** Letters, digits, `_` and `-`, starting with a letter; no dot (dots are for built-in names). */
export const CUSTOM_EVENT_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,99}$/;
const PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;

const text = (name: string): EventProperty => ({ name, type: 'text' });

/** Events Junction records itself about people and flows. */
export const BUILT_IN_EVENTS: ReadonlyArray<EventDefinition & { group: EventGroup }> = [
  { group: 'people', name: 'person.changed', description: 'An attribute or contact of the profile changed (one event per attribute)', properties: [text('attribute')] },
  { group: 'people', name: 'person.tagAdded', description: 'A tag was added to the profile', properties: [text('tag')] },
  { group: 'people', name: 'person.tagRemoved', description: 'A tag was removed from the profile', properties: [text('tag')] },
  { group: 'product', name: 'flow.entered', description: 'The person entered a flow', properties: [text('flowId'), { name: 'version', type: 'whole' }] },
  { group: 'product', name: 'flow.exited', description: 'The person left a flow (reason: the exit element, `canceled`, `interrupted` or an error code)', properties: [text('flowId'), { name: 'version', type: 'whole' }, text('reason')] },
];

export class EventCatalog {
  private readonly byName = new Map<string, EventInfo>();

  /** `channel`: the events modules declare; `custom`: the people store's definitions (checked with checkEventDefinition). */
  constructor(channel: Iterable<EventDefinition> = [], custom: Iterable<EventDefinition> = []) {
    for (const def of BUILT_IN_EVENTS) this.add(def, def.group);
    for (const def of channel) this.add(def, 'channel');
    for (const def of custom) this.add(def, 'custom');
  }

  get(name: string): EventInfo | undefined {
    return this.byName.get(name);
  }

  all(): EventInfo[] {
    return [...this.byName.values()];
  }

  /**
   * A custom event as an app sends it in, its properties typed; throws JunctionError
   * (JCT_EVENT_UNKNOWN, JCT_EVENT_RESERVED, JCT_EVENT_PROPERTY) naming what is wrong.
   */
  check(name: unknown, properties: unknown): Record<string, Value> {
    if (typeof name !== 'string' || name === '') throw new JunctionError('JCT_EVENT_INVALID', 'an event needs a "name" (text)');
    const info = this.byName.get(name);
    if (!info) throw new JunctionError('JCT_EVENT_UNKNOWN', `unknown event "${name}"; define it in the people store's "events" first`, { event: name });
    if (info.group !== 'custom') throw new JunctionError('JCT_EVENT_RESERVED', `"${name}" is a ${info.group} event Junction records itself; apps send custom events only`, { event: name });
    return typedProperties(info, properties ?? {});
  }

  private add(def: EventDefinition, group: EventGroup): void {
    if (this.byName.has(def.name)) throw new JunctionError('JCT_EVENT_CONFLICT', `event "${def.name}" is defined twice`, { event: def.name });
    const byName = new Map(def.properties.map((p) => [p.name, p.type] as const));
    this.byName.set(def.name, { ...def, group, byName });
  }
}

/**
 * What defining `def` makes of a custom event already defined as `current`: its properties are
 * kept, new ones added, and the description replaced when one is given. A property's type never
 * changes (JCT_EVENT_PROPERTY_CONFLICT): events already kept and conditions rely on it.
 */
export function mergeEventDefinition(current: EventDefinition | undefined, def: EventDefinition): EventDefinition {
  if (!current) return def;
  const types = new Map(current.properties.map((p) => [p.name, p.type] as const));
  for (const p of def.properties) {
    const type = types.get(p.name);
    if (type !== undefined && type !== p.type) {
      throw new JunctionError('JCT_EVENT_PROPERTY_CONFLICT', `event "${def.name}": property "${p.name}" is already defined as ${type}; it cannot become ${p.type}`, { event: def.name, property: p.name });
    }
  }
  const description = def.description ?? current.description;
  return { name: def.name, ...(description === undefined ? {} : { description }), properties: [...current.properties, ...def.properties.filter((p) => !types.has(p.name))] };
}

/** Throws JunctionError when a custom event definition is not usable (name, property names, more than one list). */
export function checkEventDefinition(def: EventDefinition): void {
  const fail = (message: string) => {
    throw new JunctionError('JCT_EVENT_DEFINITION_INVALID', `event "${def.name}": ${message}`, { event: def.name });
  };
  if (!CUSTOM_EVENT_NAME.test(def.name)) fail('a name is letters, digits, _ and -, starting with a letter (no dots: those are built-in events)');
  const seen = new Set<string>();
  for (const p of def.properties) {
    if (!PROPERTY_NAME.test(p.name)) fail(`property "${p.name}" is not a valid name: letters, digits and _, starting with a letter`);
    if (seen.has(p.name)) fail(`property "${p.name}" is listed twice`);
    seen.add(p.name);
  }
  if (def.properties.filter((p) => p.type === 'list').length > 1) fail('an event has at most one list property');
}

function typedProperties(info: EventInfo, raw: unknown): Record<string, Value> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new JunctionError('JCT_EVENT_PROPERTY', `event "${info.name}": "properties" must be an object`, { event: info.name });
  }
  const out: Record<string, Value> = {};
  for (const name in raw) {
    if (!Object.hasOwn(raw, name)) continue; // own properties only, read without a [name, value] pair each
    const value = (raw as Record<string, unknown>)[name];
    const type = info.byName.get(name);
    if (!type) {
      const known = info.properties.map((p) => p.name).join(', ') || 'none';
      throw new JunctionError('JCT_EVENT_PROPERTY', `event "${info.name}" has no property "${name}" (defined: ${known})`, { event: info.name, property: name });
    }
    const c = coerceValue(type, value);
    if (!c.ok) throw new JunctionError('JCT_EVENT_PROPERTY', `event "${info.name}", property "${name}": ${c.message}`, { event: info.name, property: name });
    if (c.value !== null) out[name] = c.value;
  }
  return out;
}
