// Heap cost of a person in the MemoryPeopleStore, indexes included, next to the same data
// as plain objects in a Map. A library for benchmarks and checks, not a scenario.
// Run it with the garbage collector exposed, from the project root:
//   node --expose-gc --import tsx -e "import('./bench/lib/people-memory.js').then(async (m) => console.log(await m.bytesPerPerson(200000)))"
import { SystemClock } from '../../engine/clock.js';
import { MemoryPeopleStore } from '../../engine/store/memory-people.js';

const FIRST_NAMES = ['Ana', 'Ivan', 'Marko', 'Petra', 'Luka', 'Maja', 'Josip', 'Ivana'];
const LAST_NAMES = ['Horvat', 'Kovačević', 'Babić', 'Marić', 'Jurić', 'Novak'];
const CITIES = ['Zagreb', 'Split', 'Rijeka', 'Osijek', 'Zadar'];
const PLANS = ['free', 'basic', 'pro'];

interface Sample {
  firstName: string;
  lastName: string;
  city: string;
  plan: string;
  phone: string;
}

function sample(i: number): Sample {
  return {
    firstName: FIRST_NAMES[i % FIRST_NAMES.length]!,
    lastName: LAST_NAMES[i % LAST_NAMES.length]!,
    city: CITIES[i % CITIES.length]!,
    plan: PLANS[i % PLANS.length]!,
    phone: `+38591${String(i).padStart(7, '0')}`,
  };
}

/** Heap bytes per person: in a MemoryPeopleStore, and as plain objects in a Map (the baseline). */
export async function bytesPerPerson(count: number): Promise<{ bytes: number; baselineBytes: number }> {
  const bytes = await heapPerItem(count, fillStore);
  const baselineBytes = await heapPerItem(count, fillMap);
  return { bytes, baselineBytes };
}

/** What a fill built, counted after the second measurement, which also keeps it alive until then. */
interface Built {
  size(): number;
}

function fillStore(count: number): Built {
  const store = new MemoryPeopleStore(new SystemClock());
  store.defineAttribute({ name: 'plan', type: 'text' });
  for (let i = 0; i < count; i++) {
    const { firstName, lastName, city, plan, phone } = sample(i);
    store.upsert({ standard: { firstName, lastName, city }, custom: { plan }, phones: [phone] });
  }
  return store;
}

function fillMap(count: number): Built {
  const people = new Map<string, { id: string } & Sample>();
  for (let i = 0; i < count; i++) {
    const id = `p_${i + 1}`;
    const { firstName, lastName, city, plan, phone } = sample(i);
    people.set(id, { id, firstName, lastName, city, plan, phone });
  }
  return { size: () => people.size };
}

/** Heap growth, after full collections, of what `fill` builds and keeps, per item. */
async function heapPerItem(count: number, fill: (count: number) => Built): Promise<number> {
  const before = await settledHeap();
  const built = fill(count);
  const after = await settledHeap();
  if (built.size() !== count) throw new Error(`built ${built.size()} items, not ${count}`);
  return Math.round((after - before) / count);
}

async function settledHeap(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('bytesPerPerson needs the garbage collector exposed: run node with --expose-gc');
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  return process.memoryUsage().heapUsed;
}
