// The typed values Junction stores in flow variables and person attributes, and how they
// are represented in JSON and in memory:
//   boolean → boolean        text → string            decimal → number
//   whole → integer number   date → "YYYY-MM-DD"      datetime → ISO 8601 UTC string
//   list → array             empty → null
import { Type, type Static } from '@sinclair/typebox';

export const VALUE_TYPES = ['boolean', 'text', 'decimal', 'whole', 'date', 'datetime', 'list'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export const ValueTypeSchema = Type.Union(
  VALUE_TYPES.map((t) => Type.Literal(t)),
  { description: 'boolean, text, decimal, whole (number), date, datetime or list' },
);

export type Value = boolean | string | number | null | readonly unknown[];

export const ValueSchema = Type.Union([
  Type.Boolean(),
  Type.String(),
  Type.Number(),
  Type.Null(),
  Type.Array(Type.Unknown()),
]);

export type ValueSchemaStatic = Static<typeof ValueSchema>;
