// What Add to and Remove from the do-not-contact list share: the config (channels, each
// with optional senders, read as a send reads its sender) and which of the person's contacts a
// channel uses. The list changes commit with the step.
import { Type, type Static } from '@sinclair/typebox';
import type { ElementDefinition, RunContext } from '../element.js';
import { CHANNELS, type Channel, type DoNotContactEntry, type Person } from '../person.js';
import { ourAddress } from '../people/contacts.js';

const Config = Type.Object(
  {
    channels: Type.Array(
      Type.Object(
        {
          channel: Type.Union(CHANNELS.map((c) => Type.Literal(c)), { description: CHANNELS.join(', ') }),
          senders: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true, description: 'only these senders; none: every sender' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, description: 'channels, each for every sender or for some' },
    ),
  },
  { additionalProperties: false },
);
type Config = Static<typeof Config>;

/** The person's contacts a channel reaches them on. */
export function contactsFor(person: Person, channel: Channel): readonly string[] {
  return channel === 'email' ? person.emails : person.phones;
}

function entries(config: Config, person: Person): DoNotContactEntry[] {
  return config.channels.flatMap(({ channel, senders = [] }) =>
    contactsFor(person, channel).map((contact) => ({ channel, contact, senders: senders.map(ourAddress) })),
  );
}

export function doNotContactElement(
  type: string,
  op: 'add' | 'remove',
  title: string,
  description: string,
  example: Config,
): ElementDefinition<Config, Config> {
  return {
    type,
    role: 'element',
    title,
    description,
    config: Config,
    example,
    branches: () => ['next'],
    execute: (config: Config, run: RunContext) => {
      const list = entries(config, run.person);
      if (list.length > 0) run.changeDoNotContact({ op, entries: list });
      return 0;
    },
  };
}
