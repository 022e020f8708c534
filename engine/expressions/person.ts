// How a person looks inside expressions: `person.<attribute>` for every catalog attribute,
// `person.<channel>.lastContactedAt` for channel attributes, and `person["odd-name"]` for
// custom names that are not identifiers. Every attribute is dyn (an empty one is null), and
// values are read only when an expression touches them. Names outside the catalog are
// rejected when the expression is type-checked.
import { attributeValue } from '../people/profile.js';
import type { AttributeCatalog } from '../people/catalog.js';
import { CHANNELS, type Person } from '../person.js';
import { toCel } from './convert.js';

export const PERSON = 'person';
export const PERSON_TYPE = 'Person';
export const CHANNEL_TYPE = 'PersonChannel';
export const CHANNEL_FIELDS = { lastContactedAt: 'dyn' } as const;

const CHANNEL_NAMES: ReadonlySet<string> = new Set(CHANNELS);

/** The CEL field declarations of the person type for a catalog. */
export function personFields(catalog: AttributeCatalog): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const { name, kind } of catalog.all()) {
    if (kind !== 'channel') fields[name] = 'dyn';
    else fields[name.slice(0, name.indexOf('.'))] ??= CHANNEL_TYPE;
  }
  return fields;
}

/** cel-js reads message fields of a Map with get(); this one reads the profile lazily. */
export class PersonView extends Map<string, unknown> {
  readonly #person: Person;
  readonly #catalog: AttributeCatalog;
  readonly #zone: string;

  constructor(person: Person, catalog: AttributeCatalog, zone: string) {
    super();
    this.#person = person;
    this.#catalog = catalog;
    this.#zone = zone;
  }

  override get(name: string): unknown {
    const info = this.#catalog.get(name);
    if (info) return toCel(info.type, attributeValue(this.#person, name), this.#zone);
    return CHANNEL_NAMES.has(name) ? new ChannelView(this.#person, name, this.#zone) : undefined;
  }
}

export class ChannelView extends Map<string, unknown> {
  readonly #person: Person;
  readonly #channel: string;
  readonly #zone: string;

  constructor(person: Person, channel: string, zone: string) {
    super();
    this.#person = person;
    this.#channel = channel;
    this.#zone = zone;
  }

  override get(name: string): unknown {
    if (!(name in CHANNEL_FIELDS)) return undefined;
    return toCel('datetime', attributeValue(this.#person, `${this.#channel}.${name}`), this.#zone);
  }
}
