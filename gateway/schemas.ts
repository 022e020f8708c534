// TypeBox schemas of what the gateway accepts. Every object is closed (additionalProperties:
// false), every list and string is bounded, and nothing asks for uniqueItems: the engine
// deduplicates, and uniqueItems costs quadratic time. Checking stays linear in the body size.
import { Type, type Static, type TOptionalWithFlag, type TSchema } from '@sinclair/typebox';
import { CHANNELS, STANDARD_ATTRIBUTES, type StandardAttribute } from '../engine/person.js';

/** Items in any list of a request, and properties in any map. */
const MAX_ITEMS = 1000;

const text = (maxLength: number) => Type.String({ minLength: 1, maxLength });
const list = <T extends TSchema>(item: T) => Type.Array(item, { maxItems: MAX_ITEMS });
const scalar = Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean(), Type.Null()]);

/** A closed object whose properties are all optional and of one schema. */
function optionalKeys<K extends string, T extends TSchema>(keys: readonly K[], value: T) {
  const properties = {} as Record<K, TOptionalWithFlag<T, true>>;
  for (const key of keys) properties[key] = Type.Optional(value);
  return Type.Object(properties, { additionalProperties: false });
}

export const PersonSchema = Type.Object(
  {
    id: Type.Optional(text(200)),
    standard: Type.Optional(optionalKeys(Object.keys(STANDARD_ATTRIBUTES) as StandardAttribute[], scalar)),
    custom: Type.Optional(Type.Record(Type.String(), Type.Union([scalar, list(Type.String({ maxLength: 1000 }))]), { maxProperties: MAX_ITEMS })),
    phones: Type.Optional(list(text(50))),
    emails: Type.Optional(list(text(320))),
    tags: Type.Optional(list(text(200))),
    companies: Type.Optional(list(text(200))),
    lastContacted: Type.Optional(optionalKeys(CHANNELS, text(64))),
  },
  { additionalProperties: false },
);

/** Body of `POST /flows/:id/participants`. Variable values are typed by the flow, so the engine checks them. */
export const AddParticipantSchema = Type.Object(
  {
    person: PersonSchema,
    vars: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { maxProperties: MAX_ITEMS })),
    entry: Type.Optional(text(200)),
  },
  { additionalProperties: false },
);

export type AddParticipantBody = Static<typeof AddParticipantSchema>;
