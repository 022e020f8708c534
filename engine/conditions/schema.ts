// The JSON shape of Segment Audience conditions: a condition reads a person attribute or a
// flow variable and applies an operator, or counts events in the person's history (events.ts);
// groups combine conditions with all (AND) or any (OR) and nest. Which operators and values
// fit depends on the value type; compile.ts checks that, since the schema cannot.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DurationSchema, Identifier } from '../flow-schema.js';

export const OPERATORS = [
  'is',
  'isNot',
  'contains',
  'startsWith',
  'endsWith',
  'isEmpty',
  'isNotEmpty',
  'lessThan',
  'lessOrEqual',
  'greaterOrEqual',
  'greaterThan',
  'before',
  'until',
  'since',
  'after',
  'willBeIn',
  'willBeWithin',
  'willBeMoreThan',
  'was',
  'wasWithin',
  'wasMoreThan',
  'wasToday',
] as const;
export type OperatorName = (typeof OPERATORS)[number];

// `enum` guides editors through the generated JSON Schema; compile.ts names the operators
// that fit the attribute's type when one does not.
const Operator = Type.String({ enum: [...OPERATORS], description: 'Which operators apply depends on the value type' });

const OperatorValue = Type.Optional(
  Type.Unknown({
    description:
      'true/false, a number, a text, a date "YYYY-MM-DD" or date-time, or a duration { "amount": 3, "unit": "days" }, ' +
      'as the operator needs; none for isEmpty, isNotEmpty and wasToday. Text may name a variable or attribute: "{{orderId}}", "{{person.city}}"',
  }),
);

export const AttributeConditionSchema = Type.Object(
  {
    attribute: Type.String({ minLength: 1, description: 'A person attribute, e.g. city or sms.lastContactedAt' }),
    operator: Operator,
    value: OperatorValue,
  },
  { additionalProperties: false },
);

export const VariableConditionSchema = Type.Object(
  {
    variable: Type.String({ minLength: 1, description: 'A flow variable declared in settings.variables' }),
    operator: Operator,
    value: OperatorValue,
  },
  { additionalProperties: false },
);

export const TIMES_OPERATORS = ['atLeast', 'exactly', 'atMost'] as const;

export const PropertyConditionSchema = Type.Object(
  {
    property: Type.String({ minLength: 1, description: 'A property of the event' }),
    operator: Type.String({ enum: [...OPERATORS], description: 'Which operators apply depends on the property type' }),
    value: Type.Optional(Type.Unknown({ description: 'As the operator needs (see attribute conditions), {{placeholders}} too' })),
  },
  { additionalProperties: false },
);

export const EventConditionSchema = Type.Object(
  {
    event: Type.String({ minLength: 1, description: 'A custom event, or a people, product or channel event (e.g. message.delivered)' }),
    happened: Type.Boolean({ description: 'true: the person performed it; false: did not' }),
    times: Type.Optional(
      Type.Object(
        {
          operator: Type.Union(TIMES_OPERATORS.map((o) => Type.Literal(o)), { description: 'atLeast, exactly or atMost (atMost N is 1 to N times)' }),
          count: Type.Integer({ minimum: 1, maximum: 10_000 }),
        },
        { additionalProperties: false, description: 'How many times it happened (only with happened: true); default at least once' },
      ),
    ),
    within: Type.Optional({ ...DurationSchema, description: 'Only events of the last { amount, unit } count' }),
    where: Type.Optional(Type.Array(PropertyConditionSchema, { maxItems: 20, description: 'Property filters; every one must match' })),
    element: Type.Optional({ ...Identifier, description: 'Channel events only: about messages this send element of the flow sent' }),
  },
  { additionalProperties: false },
);
export type EventCondition = Static<typeof EventConditionSchema>;

const ConditionSchema = Type.Union([AttributeConditionSchema, VariableConditionSchema, EventConditionSchema]);
export type Condition = Static<typeof AttributeConditionSchema> | Static<typeof VariableConditionSchema>;

function groupSchemas<T extends TSchema>(item: T) {
  return [
    Type.Object(
      { all: Type.Array(item, { minItems: 1, description: 'Every item must match' }) },
      { additionalProperties: false },
    ),
    Type.Object(
      { any: Type.Array(item, { minItems: 1, description: 'At least one item must match' }) },
      { additionalProperties: false },
    ),
  ] as const;
}

/** One level of a group, its items unchecked: compile.ts checks items one by one for precise paths. */
export const [AllGroupShape, AnyGroupShape] = groupSchemas(Type.Unknown());

export const ConditionGroupSchema = Type.Recursive(
  (Group) => Type.Union([...groupSchemas(Type.Union([ConditionSchema, Group]))]),
  { $id: 'ConditionGroup', description: 'Conditions combined with all (AND) or any (OR); groups nest' },
);
