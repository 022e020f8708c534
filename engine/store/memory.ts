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

/**
 * Participants by id, indexed by flow version and by person. Most people are in a flow
 * once, so the person index holds a bare id and grows to a Set only for a second one.
 */
export class MemoryParticipantStore implements ParticipantStore {
  private readonly byId = new Map<string, ParticipantState>();
  /** flow id → version → participant ids */
  private readonly byFlow = new Map<string, Map<number, Set<string>>>();
  private readonly byPerson = new Map<string, string | Set<string>>();

  get(id: string): ParticipantState | undefined {
    return this.byId.get(id);
  }

  put(state: ParticipantState): void {
    if (!this.byId.has(state.id)) {
      this.flowSet(state.flowId, state.version).add(state.id);
      this.addToPerson(state.personId, state.id);
    }
    this.byId.set(state.id, state);
  }

  delete(id: string): void {
    const state = this.byId.get(id);
    if (!state) return;
    this.byId.delete(id);
    this.byFlow.get(state.flowId)?.get(state.version)?.delete(id);
    this.removeFromPerson(state.personId, id);
  }

  *ofFlow(flowId: string, version: number): Iterable<ParticipantState> {
    for (const id of this.byFlow.get(flowId)?.get(version) ?? []) yield this.byId.get(id)!;
  }

  *ofPerson(personId: string): Iterable<ParticipantState> {
    const ids = this.byPerson.get(personId);
    if (ids === undefined) return;
    for (const id of typeof ids === 'string' ? [ids] : ids) yield this.byId.get(id)!;
  }

  count(flowId: string, version: number): number {
    return this.byFlow.get(flowId)?.get(version)?.size ?? 0;
  }

  private flowSet(flowId: string, version: number): Set<string> {
    let versions = this.byFlow.get(flowId);
    if (!versions) this.byFlow.set(flowId, (versions = new Map()));
    let ids = versions.get(version);
    if (!ids) versions.set(version, (ids = new Set()));
    return ids;
  }

  private addToPerson(personId: string, id: string): void {
    const ids = this.byPerson.get(personId);
    if (ids === undefined) this.byPerson.set(personId, id);
    else if (typeof ids === 'string') this.byPerson.set(personId, new Set([ids, id]));
    else ids.add(id);
  }

  private removeFromPerson(personId: string, id: string): void {
    const ids = this.byPerson.get(personId);
    if (ids === id) this.byPerson.delete(personId);
    else if (typeof ids === 'object') {
      ids.delete(id);
      if (ids.size === 1) this.byPerson.set(personId, ids.values().next().value!);
    }
  }
}
