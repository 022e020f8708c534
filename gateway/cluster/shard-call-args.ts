// The arguments each shard call takes (engine/cluster/calls.ts), as the internal route checks them
// before the call runs (shard-calls.ts): a peer of another version, or a request with the cluster
// secret and the wrong JSON types, is answered 400 JCT_REQUEST_INVALID naming the call and the
// problems, not 500 from deep inside an engine. The inputs and profiles a call carries are checked
// at their top level here (an input has a kind, a profile its contact lists); what is inside them
// the engine checks as it checks them from any other caller.
import { Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { ShardCallName } from '../../engine/cluster/calls.js';

// No sizes here: the route's body limit bounds the whole request.
const Text = Type.String();
const Texts = Type.Array(Text);
const Version = Type.Integer({ minimum: 1 });
const Input = Type.Object({ kind: Type.String({ minLength: 1 }) });
const Person = Type.Object({
  id: Type.Optional(Text),
  standard: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  custom: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  phones: Type.Optional(Texts),
  emails: Type.Optional(Texts),
  tags: Type.Optional(Texts),
  companies: Type.Optional(Texts),
  lastContacted: Type.Optional(Type.Record(Type.String(), Text)),
});
const Flow = { flowId: Text };
const FlowVersion = { flowId: Text, version: Version };

export const SHARD_CALL_ARGS: { readonly [K in ShardCallName]: TSchema } = {
  submit: Type.Object({ personKey: Text, input: Input }),
  submitFor: Type.Object({ person: Person, input: Input }),
  personKey: Type.Object({ person: Person }),
  person: Type.Object({ id: Text }),
  personByContact: Type.Object({ contact: Text }),
  personByExternalId: Type.Object({ externalId: Text }),
  heldKeys: Type.Object({ keys: Texts }),
  journeysOf: Type.Object({ personId: Text }),
  unknownPeople: Type.Object({ ids: Texts }),
  reference: Type.Object({ key: Text }),
  flowActivity: Type.Object(FlowVersion),
  flowInside: Type.Object(FlowVersion),
  metrics: Type.Object(FlowVersion),
  metricsAllVersions: Type.Object(Flow),
  engagedReport: Type.Object({ month: Text, page: Type.Object({ after: Type.Optional(Type.Unknown()), limit: Type.Optional(Type.Integer({ minimum: 0 })) }) }),
  segmentSizes: Type.Object({}),
  addParticipants: Type.Object({ ...Flow, people: Type.Array(Type.Object({ person: Person })), options: Type.Object({}) }),
  operation: Type.Object({ operationId: Text }),
  operationForKey: Type.Object({ ...Flow, caller: Type.Union([Text, Type.Null()]), idempotencyKey: Text }),
};

/** Each call's compiled check, by name. */
export const SHARD_CALL_CHECKS: ReadonlyMap<string, { readonly schema: TSchema; readonly check: TypeCheck<TSchema> }> = new Map(
  Object.entries(SHARD_CALL_ARGS).map(([name, schema]) => [name, { schema, check: TypeCompiler.Compile(schema) }]),
);
