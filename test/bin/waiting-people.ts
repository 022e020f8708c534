// Test helper for the tests of moving a store (move-to-shards, copy-embedded): people put inside
// a flow waiting for a purchase through a running `junction start`, and, once the store moved,
// each found by phone through the processes serving it and moved on by an event.
import type { Test } from 'tap';
import { once } from 'node:events';
import { AUTH, type JunctionProcess } from './junction-process.js';

const WAITING = {
  schemaVersion: 1,
  id: 'waiting',
  name: 'Waiting for a purchase',
  entryPoints: [{ id: 'start', type: 'flowApi', config: {}, branches: { next: 'w' } }],
  elements: [
    { id: 'w', type: 'waitForEvent', config: { conditions: [{ event: 'purchase', happened: true }], waitFor: { amount: 3, unit: 'days' } }, branches: { happened: 'bought' } },
    { id: 'bought', type: 'addTag', config: { tags: ['bought'] } },
  ],
};

/** The answer to a request, asked again while it is 503 (a shard moving as a process joins), up to 10 s. */
export async function json(url: string, init: RequestInit = {}, auth: Record<string, string> = AUTH): Promise<{ status: number; body: any }> {
  const until = Date.now() + 10_000;
  for (;;) {
    const answer = await fetch(url, { ...init, headers: { ...auth, 'content-type': 'application/json', ...init.headers } });
    if (answer.status !== 503 || Date.now() > until) return { status: answer.status, body: await answer.json() };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const post = (url: string, body: unknown) => json(url, { method: 'POST', body: JSON.stringify(body) });

/** Stops the process in good order; its exit code. */
export async function stopped(p: JunctionProcess): Promise<number | null> {
  p.child.kill('SIGTERM');
  const [code] = (await once(p.child, 'exit')) as [number | null];
  return code;
}

/** Launches the waiting flow through `address` and puts a new person of each phone in it; their ids, in the phones' order. */
export async function waitingPeople(t: Test, address: string, phones: readonly string[]): Promise<string[]> {
  t.equal((await post(`${address}/api/v1/event-definitions`, { name: 'purchase', properties: [] })).status, 201);
  t.equal((await post(`${address}/api/v1/flows`, WAITING)).status, 201);
  t.equal((await post(`${address}/api/v1/flows/waiting/launch`, {})).status, 200);
  const added = await post(`${address}/api/v1/flows/waiting/participants`, { participants: phones.map((phone) => ({ person: { phones: [phone] } })) });
  t.equal(added.body.accepted, phones.length, JSON.stringify(added.body));
  return (added.body.participants as Array<{ personId: string }>).map((p) => p.personId);
}

/** Each person found by phone through the addresses in turn, and an event for them moves their participant on (tag `bought`). */
export async function servedAndMovedOn(t: Test, addresses: readonly string[], people: readonly string[], phones: readonly string[]): Promise<void> {
  for (const [i, id] of people.entries()) {
    const at = addresses[i % addresses.length]!;
    t.equal((await json(`${at}/api/v1/people?phone=${encodeURIComponent(phones[i]!)}`)).body.id, id, `${id} found by phone`);
    t.equal((await post(`${at}/events`, { person: { phone: phones[i] }, name: 'purchase' })).body.delivered, 1, `an event for ${id} reached their participant`);
  }
  for (const id of people) t.same((await json(`${addresses[0]}/api/v1/people/${id}`)).body.tags, ['bought'], `${id} went on`);
}
