// The flow definition format (JSON, versioned by `schemaVersion`). These TypeBox
// declarations are the single source: TypeScript types come from them, and
// `junction schema` generates docs/flow.schema.json from them plus each registered
// element's own config schema.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ValueSchema, ValueTypeSchema } from './values.js';

export const SCHEMA_VERSION = 1;
export const MAX_ELEMENTS = 100;

export const Identifier = Type.String({
  pattern: '^[A-Za-z][A-Za-z0-9_.-]{0,63}$',
  description: 'Letters, digits, _ . - ; starts with a letter; at most 64 characters',
});
const IDENTIFIER = new RegExp(Identifier.pattern!);

/** Whether the value is an Identifier (a flow, template or element id). */
export function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && IDENTIFIER.test(value);
}

export const DURATION_UNITS = ['seconds', 'minutes', 'hours', 'days', 'weeks'] as const;
export const DurationSchema = Type.Object(
  {
    amount: Type.Integer({ minimum: 0 }),
    unit: Type.Union(DURATION_UNITS.map((u) => Type.Literal(u))),
  },
  { additionalProperties: false, description: 'A length of time, e.g. { "amount": 3, "unit": "days" }' },
);
export type Duration = Static<typeof DurationSchema>;

export const VariableSchema = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$',
      description: 'Letters, digits and _; starts with a letter; usable as is in expressions and {{placeholders}}',
    }),
    type: ValueTypeSchema,
    default: Type.Optional(ValueSchema),
    defaultFormula: Type.Optional(Type.String({ description: 'CEL expression evaluated when a participant enters' })),
  },
  { additionalProperties: false },
);
export type VariableDefinition = Static<typeof VariableSchema>;

export const ReentrySchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'May a person enter this flow more than once?' }),
    delay: Type.Optional(DurationSchema),
    limits: Type.Optional(
      Type.Array(
        Type.Object({ count: Type.Integer({ minimum: 1 }), within: DurationSchema }, { additionalProperties: false }),
        { description: 'each: at most `count` entries within `within`, e.g. { "count": 2, "within": { "amount": 1, "unit": "weeks" } }' },
      ),
    ),
  },
  { additionalProperties: false, description: 'the frequency cap: re-entry on or off, a delay after each exit, entry limits' },
);
export type Reentry = Static<typeof ReentrySchema>;

/** A time of day, HH:MM on the 24-hour clock. */
export const TimeOfDayString = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM, 24-hour clock' });

export const DateTimeString = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})?$',
  description: 'ISO 8601 date-time; without an offset it is read in the flow time zone',
});

export const ScheduleSchema = Type.Object(
  {
    start: Type.Optional(DateTimeString),
    end: Type.Optional(DateTimeString),
  },
  {
    additionalProperties: false,
    description: 'Without an end the flow runs until it has been idle for a year',
  },
);

export const SettingsSchema = Type.Object(
  {
    timeZone: Type.Optional(Type.String({ description: "IANA time zone, e.g. Europe/Zagreb, in any case: europe/zagreb is read as Europe/Zagreb; without one, the workspace's (JUNCTION_TIME_ZONE, UTC unless set)" })),
    reentry: Type.Optional(ReentrySchema),
    schedule: Type.Optional(ScheduleSchema),
    goal: Type.Optional(Type.Object({ event: Type.String({ minLength: 1 }) }, { additionalProperties: false, description: '{ "event": NAME }: the event that counts as reaching the goal' })),
    variables: Type.Optional(Type.Array(VariableSchema, { maxItems: 200, description: 'the flow variables, at most 200' })),
  },
  { additionalProperties: false },
);
export type FlowSettings = Static<typeof SettingsSchema>;

export const BranchesSchema = Type.Record(Type.String(), Type.String(), {
  description: 'Outgoing branch name → id of the element it leads to; unconnected branches exit',
});

/** The shape shared by entry points and elements; `config` is checked by the element's own schema. */
export function nodeSchema(type: TSchema, config: TSchema): TSchema {
  return Type.Object(
    {
      id: Identifier,
      type,
      name: Type.Optional(Type.String({ maxLength: 200 })),
      config,
      branches: Type.Optional(BranchesSchema),
    },
    { additionalProperties: false },
  );
}

export const NodeSchema = nodeSchema(Type.String({ minLength: 1 }), Type.Optional(Type.Unknown()));

export interface NodeDefinition {
  id: string;
  type: string;
  name?: string;
  config?: unknown;
  branches?: Record<string, string>;
}

export function flowSchema(entry: TSchema, element: TSchema): TSchema {
  return Type.Object(
    {
      $schema: Type.Optional(Type.String()),
      schemaVersion: Type.Literal(SCHEMA_VERSION),
      id: Identifier,
      name: Type.String({ minLength: 1, maxLength: 200 }),
      description: Type.Optional(Type.String()),
      entryPoints: Type.Array(entry, { minItems: 1 }),
      elements: Type.Array(element),
      settings: Type.Optional(SettingsSchema),
    },
    { additionalProperties: false },
  );
}

export const FlowShapeSchema = flowSchema(NodeSchema, NodeSchema);

export interface FlowDefinition {
  $schema?: string;
  schemaVersion: number;
  id: string;
  name: string;
  description?: string;
  entryPoints: NodeDefinition[];
  elements: NodeDefinition[];
  settings?: FlowSettings;
}
