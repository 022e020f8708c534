// Flow lifecycle: which status may follow which.
//   draft → scheduled → active ⇄ paused → finishing → finished, and canceled from any live status.
// finishing: no new entries (schedule ended, static audience all in, or a newer version
// launched) while participants complete their journeys.
import { JunctionError } from '../errors.js';
import type { FlowRecord, FlowStatus } from '../vocabulary.js';

const NEXT: Record<FlowStatus, readonly FlowStatus[]> = {
  draft: ['scheduled', 'active', 'canceled'],
  scheduled: ['active', 'finishing', 'canceled'],
  active: ['paused', 'finishing', 'finished', 'canceled'],
  paused: ['active', 'finishing', 'finished', 'canceled'],
  finishing: ['finished', 'canceled'],
  finished: [],
  canceled: [],
};

export function canMove(from: FlowStatus, to: FlowStatus): boolean {
  return NEXT[from].includes(to);
}

export function move(record: FlowRecord, to: FlowStatus, now: number): void {
  if (!canMove(record.status, to)) {
    throw new JunctionError('JCT_FLOW_STATUS', `flow "${record.id}" v${record.version} is ${record.status} and cannot become ${to}`, {
      flowId: record.id,
      version: record.version,
      status: record.status,
    });
  }
  record.status = to;
  record.statusAt = now;
}

/** Statuses in which a version still has participants to run. */
export function isLive(status: FlowStatus): boolean {
  return status === 'active' || status === 'paused' || status === 'finishing';
}
