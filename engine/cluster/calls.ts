// The calls a sharded cluster makes on one shard's engine (shard-router.ts), by name: the same
// functions run here when this process holds the shard and, through the internal route
// (gateway/cluster/shard-calls.ts), in the process that holds it. Arguments and results are
// JSON (nothing is `undefined` on the way: "nobody" is null).
import type { Engine } from '../runtime/engine.js';
import type { Input, PersonInput, Receipt } from '../vocabulary.js';
import type { Person } from '../person.js';
import type { Reference } from '../module.js';

/** A call carried out by a shard's engine: (engine, JSON arguments) → JSON result. */
export type ShardCall<A = never, R = unknown> = (engine: Engine, args: A) => Promise<R>;

export const SHARD_CALLS = {
  /** Applies an input to the person's partition of this shard; its receipt once durable. */
  submit: (engine: Engine, { personKey, input }: { personKey: string; input: Input }): Promise<Receipt> => engine.submit(personKey, input),
  /** Applies an input for the person a profile names, found in this shard as it is applied. */
  submitFor: (engine: Engine, { person, input }: { person: PersonInput; input: Input }): Promise<Receipt> => engine.submitFor(person, input),
  /** The key of the person a profile names, in this shard (a new one carries the shard). */
  personKey: async (engine: Engine, { person }: { person: PersonInput }): Promise<string> => engine.personKey(person),
  person: async (engine: Engine, { id }: { id: string }): Promise<Person | null> => engine.people.get(id) ?? null,
  personByContact: async (engine: Engine, { contact }: { contact: string }): Promise<Person | null> => engine.people.findByContact(contact) ?? null,
  personByExternalId: async (engine: Engine, { externalId }: { externalId: string }): Promise<Person | null> => engine.people.findByExternalId(externalId) ?? null,
  journeysOf: async (engine: Engine, { personId }: { personId: string }) => engine.journeysOf(personId),
  reference: async (engine: Engine, { key }: { key: string }): Promise<Reference | null> => engine.reference(key) ?? null,
} satisfies Record<string, ShardCall<never>>;

export type ShardCalls = typeof SHARD_CALLS;
export type ShardCallName = keyof ShardCalls & string;
