// In-memory flow and participant stores: the working state the engine runs on, and the
// implementation unit tests use. Durable stores journal the same operations.
import type { ParticipantState } from '../runtime/types.js';
import type { FlowRecord, FlowStore, ParticipantStore } from './interfaces.js';

export class MemoryFlowStore implements FlowStore {
  private readonly versions = new Map<string, FlowRecord[]>();

  get(id: string, version?: number): FlowRecord | undefined {
    const list = this.versions.get(id);
    if (!list) return undefined;
    return version === undefined ? list[list.length - 1] : list.find((r) => r.version === version);
  }

  all(): Iterable<FlowRecord> {
    return [...this.versions.values()].flat();
  }

  put(record: FlowRecord): void {
    const list = this.versions.get(record.id) ?? [];
    const at = list.findIndex((r) => r.version === record.version);
    if (at >= 0) list[at] = record;
    else list.push(record);
    this.versions.set(record.id, list);
  }
}

export class MemoryParticipantStore implements ParticipantStore {
  private readonly byId = new Map<string, ParticipantState>();
  private readonly byFlow = new Map<string, Set<string>>();
  private readonly byPerson = new Map<string, Set<string>>();

  get(id: string): ParticipantState | undefined {
    return this.byId.get(id);
  }

  put(state: ParticipantState): void {
    if (!this.byId.has(state.id)) {
      index(this.byFlow, `${state.flowId}@${state.version}`, state.id);
      index(this.byPerson, state.personId, state.id);
    }
    this.byId.set(state.id, state);
  }

  delete(id: string): void {
    const state = this.byId.get(id);
    if (!state) return;
    this.byId.delete(id);
    unindex(this.byFlow, `${state.flowId}@${state.version}`, id);
    unindex(this.byPerson, state.personId, id);
  }

  *ofFlow(flowId: string, version: number): Iterable<ParticipantState> {
    for (const id of this.byFlow.get(`${flowId}@${version}`) ?? []) yield this.byId.get(id)!;
  }

  *ofPerson(personId: string): Iterable<ParticipantState> {
    for (const id of this.byPerson.get(personId) ?? []) yield this.byId.get(id)!;
  }

  count(flowId: string, version: number): number {
    return this.byFlow.get(`${flowId}@${version}`)?.size ?? 0;
  }
}

function index(map: Map<string, Set<string>>, key: string, id: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(id);
}

function unindex(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) map.delete(key);
}
