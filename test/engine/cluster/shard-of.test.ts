// Which shard a person id, a contact or an external id goes to: ids Junction made name their
// shard, other ids and contacts are hashed (contacts in their normalised form, so every way of
// writing a number gives one shard), always in 0..shards-1 and spread evenly; a shard's engine
// gives the people it creates ids naming it; a directory key's home shard is its contact's or
// external id's.
import t from 'tap';
import { contactKey, directoryKeys, externalIdKey, externalIdOfKey, homeOfKey, shardOfContact, shardOfExternalId, shardOfPersonId } from '../../../engine/cluster/shard-of.js';
import { idPrefix } from '../../../engine/id-prefix.js';
import { Engine } from '../../../engine/runtime/engine.js';
import { VirtualClock } from '../../../engine/clock.js';
import { MemoryPeopleStore } from '../../../engine/store/memory-people.js';
import { registryWith } from '../helpers.js';

t.test('an id Junction made names its shard; any other id is hashed, the same way every time', async (t) => {
  t.equal(shardOfPersonId(`${idPrefix(5)}pabc.1`, 16), 5);
  t.equal(shardOfPersonId('0-x', 16), 0);
  t.equal(shardOfPersonId('15-x', 16), 15);
  const client = 'customer-8841';
  t.equal(shardOfPersonId(client, 16), shardOfPersonId(client, 16), 'stable');
  t.equal(shardOfPersonId('16-x', 16), shardOfPersonId('16-x', 16), 'a shard out of range is hashed');
  t.ok(shardOfPersonId('16-x', 16) < 16);
  t.equal(shardOfPersonId('007-x', 16), shardOfPersonId('007-x', 16), 'a number with leading zeros is no shard: hashed');
  t.throws(() => shardOfPersonId('x', 0), { code: 'JCT_CONFIG_INVALID' });
  t.throws(() => shardOfContact('+14155550100', 1.5), { code: 'JCT_CONFIG_INVALID' });
});

t.test('a contact goes to the shard of its normalised form', async (t) => {
  const shards = 16;
  t.equal(contactKey('+1 415-555-0100'), '+14155550100');
  t.equal(shardOfContact('+1 415-555-0100', shards), shardOfContact('+14155550100', shards));
  t.equal(shardOfContact('0014155550100', shards), shardOfContact('+14155550100', shards), 'the international prefix 00');
  t.equal(shardOfContact(' Ana@Example.COM ', shards), shardOfContact('ana@example.com', shards));
  t.equal(shardOfContact('not a contact', shards), shardOfContact('not a contact', shards), 'one that does not parse still has one shard');
  t.equal(contactKey('not a contact'), undefined);
});

t.test('external ids are keyed apart from contacts, and a person has the keys of their contacts and external id', async (t) => {
  t.not(externalIdKey('ana@example.com'), 'ana@example.com');
  t.notMatch(externalIdKey('+14155550100'), /^\+/);
  t.equal(externalIdKey('a\u0000b'), externalIdKey('a\u0000b'));
  t.notMatch(externalIdKey('a\u0000b'), /\u0000/, 'no U+0000, which Postgres text cannot hold');
  t.equal(shardOfExternalId('crm-1', 16), shardOfExternalId('crm-1', 16));
  t.same(directoryKeys({ phones: ['+14155550100'], emails: ['ana@example.com'], standard: { externalId: 'crm-1' } }), ['+14155550100', 'ana@example.com', externalIdKey('crm-1')]);
  t.same(directoryKeys({ phones: [], emails: [], standard: { externalId: '  ' } }), [], 'a blank external id is none');
  t.equal(externalIdOfKey(externalIdKey('a\u0000b')), 'a\u0000b', 'an external id read back from its key');
  t.equal(externalIdOfKey('+14155550100'), undefined, "a contact's key is no external id's");
});

t.test("a key's home shard is the one its contact or external id goes to", async (t) => {
  t.equal(homeOfKey(contactKey('+1 415-555-0100')!, 16), shardOfContact('+1 415-555-0100', 16));
  t.equal(homeOfKey(externalIdKey('crm-1'), 16), shardOfExternalId('crm-1', 16));
});

t.test('ids, contacts and external ids land in 0..shards-1, spread evenly', async (t) => {
  for (const shards of [1, 3, 16]) {
    const counts = new Array<number>(shards).fill(0);
    const outside: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      for (const shard of [shardOfPersonId(`client-${i}`, shards), shardOfContact(`+1415555${String(i).padStart(4, '0')}`, shards), shardOfExternalId(`crm-${i}`, shards)]) {
        if (Number.isInteger(shard) && shard >= 0 && shard < shards) counts[shard]!++;
        else outside.push(shard);
      }
    }
    t.same(outside, [], `every shard in 0..${shards - 1}`);
    const even = 30_000 / shards;
    t.ok(counts.every((n) => Math.abs(n - even) < even * 0.1), `within 10% of ${even} each over ${shards} shards: ${counts.join(' ')}`);
  }
});

t.test("a shard's engine makes person ids that name its shard; by default they name none", async (t) => {
  const clock = new VirtualClock(0);
  const shard = new Engine({ clock, people: new MemoryPeopleStore(clock), registry: registryWith(), idPrefix: idPrefix(3) });
  const id = shard.personKey({ phones: ['+14155550100'] });
  t.match(id, /^3-/);
  t.equal(shardOfPersonId(id, 16), 3);
  const plain = new Engine({ clock, people: new MemoryPeopleStore(clock), registry: registryWith() });
  t.notMatch(plain.personKey({ phones: ['+14155550100'] }), /^\d+-/);
});
