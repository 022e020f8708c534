// `junction simulate FLOW.json [--people P.json] [--events E.jsonl] [--start T] [--until T] [--json]`:
// runs the flow on the virtual clock and prints each participant's path (local time and UTC), the
// people as they ended (tags, attributes, do-not-contact entries), each element's metrics and the
// flow's figures; --json gives the report with its times in epoch ms and ISO 8601.
import { DateTime } from 'luxon';
import { loadConfig } from '../../config/index.js';
import { JunctionError } from '../../engine/errors.js';
import { simulate, simulationTime, type SimulationReport } from '../../engine/simulation.js';
import type { Registry } from '../../engine/module.js';
import { readJson, readJsonLines } from '../files.js';
import { peopleFileFor } from '../workspace.js';

export interface SimulateOptions {
  people?: string;
  events?: string;
  start?: string;
  until?: string;
  json?: boolean;
}

export async function simulateCommand(registry: Registry, flowFile: string, o: SimulateOptions, out: (line: string) => void, env = process.env): Promise<number> {
  const flow = readJson(flowFile);
  const { timeZone } = loadConfig(env); // the workspace's, as JUNCTION_TIME_ZONE sets it for `junction start`
  const report = await simulate({
    registry,
    flow,
    timeZone,
    people: peopleOf(flowFile, o.people),
    events: o.events ? readJsonLines(o.events) : undefined,
    start: o.start === undefined ? undefined : instant(flow, o.start, '--start', timeZone),
    until: o.until === undefined ? undefined : instant(flow, o.until, '--until', timeZone),
  });
  if (o.json) out(JSON.stringify(withIsoTimes(report), null, 2));
  else printReport(report, out);
  return 0;
}

/**
 * The report as --json gives it: every time in epoch ms, as before, and beside it the same
 * moment in ISO 8601 with the flow's UTC offset (`startIso`, `endIso`, `atIso`, `untilIso`).
 */
function withIsoTimes(r: SimulationReport): object {
  const iso = (ms: number): string => DateTime.fromMillis(ms, { zone: r.timeZone }).toISO()!;
  return {
    ...r,
    startIso: iso(r.start),
    endIso: iso(r.end),
    participants: r.participants.map((p) => ({
      ...p,
      path: p.path.map((s) => ({ ...s, atIso: iso(s.at) })),
      ...(p.until === undefined ? {} : { untilIso: iso(p.until) }),
    })),
    rejected: r.rejected.map((x) => ({ ...x, atIso: iso(x.at) })),
  };
}

/** The people document: the one given, else the workspace's (workspace.ts). */
function peopleOf(flowFile: string, given: string | undefined): unknown {
  const file = peopleFileFor(flowFile, given, process.env);
  return file === undefined ? undefined : readJson(file);
}

/** An option's time, read in the flow's time zone unless it has an offset. */
function instant(flow: unknown, text: string, option: string, workspaceZone: string): number {
  const t = simulationTime(flow, text, workspaceZone);
  if (t === undefined) throw new JunctionError('JCT_USAGE', `${option} "${text}" is not an ISO 8601 date-time (e.g. 2026-03-01T09:00, in the flow's time zone, or with Z or an offset)`);
  return t;
}

export function printReport(r: SimulationReport, out: (line: string) => void): void {
  const time = (ms: number): string => localAndUtc(ms, r.timeZone);
  out(`Flow ${r.flowId} (${r.timeZone}), simulated ${time(r.start)} → ${time(r.end)}`);
  out(`${r.participants.length} participant${r.participants.length === 1 ? '' : 's'}`);
  for (const p of r.participants) {
    out('');
    out(`${p.id}  person ${p.personId}`);
    for (const s of p.path) {
      out(`  ${time(s.at)}  ${s.element} (${s.type})`);
      if (s.failure) out(`      failed: ${s.failure}`);
    }
    if (p.outcome !== 'waiting') out(`  → exited: ${p.outcome}`);
    else out(`  → waiting at ${p.waitingAt}${p.until ? ` until ${time(p.until)}` : ''}`);
  }
  for (const x of r.rejected) out(`\nnot entered: person ${x.person} at ${time(x.at)}: ${x.reason}`);
  printPeople(r, out);
  out('');
  out('Element metrics');
  const rows = r.metrics.elements.map((e) => [e.id, e.type, String(e.totalEngagements), String(e.uniqueUsersEngaged), String(e.failures)]);
  table(['element', 'type', 'total', 'unique', 'failures'], rows, out);
  for (const line of summary(r)) out(line);
}

/**
 * The flow's figures, people and participants apart: a person who entered twice is one person
 * and two participants. Participants that left without reaching an exit (a call hung up, an
 * error) are the rest.
 */
function summary(r: SimulationReport): string[] {
  const m = r.metrics;
  const participants = r.participants.length;
  const otherwise = participants - m.profilesExited - m.activeParticipants;
  const lines = [
    `people (each counted once): ${m.profilesInFlow} entered, ${m.goalPerformers} reached the goal`,
    `participants (one per entry): ${participants} in all, ${m.profilesExited} reached an exit, ${otherwise} left otherwise, ${m.activeParticipants} still inside`,
  ];
  if (m.messagesSent > 0) lines.push(`messages sent ${m.messagesSent}: ${channelFigures(m.channels)}`);
  return lines;
}

/** `whatsapp: sent 2, delivered 1; sms: sent 1` */
function channelFigures(channels: Record<string, Record<string, number>>): string {
  return Object.entries(channels)
    .map(([channel, figures]) => `${channel}: ${Object.entries(figures).map(([what, n]) => `${what} ${n}`).join(', ')}`)
    .join('; ');
}

/** `2026-03-08 03:30 GMT-4 (07:30 UTC)`: the flow's local time, and UTC beside it (with its date when that differs). */
function localAndUtc(ms: number, zone: string): string {
  const local = DateTime.fromMillis(ms, { zone });
  const utc = local.toUTC();
  if (local.offset === 0) return local.toFormat('yyyy-MM-dd HH:mm ZZZZ');
  return `${local.toFormat('yyyy-MM-dd HH:mm ZZZZ')} (${utc.toFormat(utc.hasSame(local, 'day') ? 'HH:mm' : 'yyyy-MM-dd HH:mm')} UTC)`;
}

/** Attributes every profile has that say nothing of the journey. */
const BOOKKEEPING = new Set(['createdAt', 'modifiedAt']);

/** Each person who took part as the simulation left them: tags, attributes, do-not-contact entries. */
function printPeople(r: SimulationReport, out: (line: string) => void): void {
  if (r.people.length === 0) return;
  out('');
  out('People at the end');
  for (const p of r.people) {
    out(`  ${p.id}`);
    out(`    tags: ${p.tags.length > 0 ? p.tags.join(', ') : '(none)'}`);
    const contacts = [...p.phones, ...p.emails];
    if (contacts.length > 0) out(`    contacts: ${contacts.join(', ')}`);
    const attributes = Object.entries(p.attributes)
      .filter(([name]) => !BOOKKEEPING.has(name))
      .map(([name, value]) => `${name} ${JSON.stringify(value)}`);
    if (attributes.length > 0) out(`    attributes: ${attributes.join(', ')}`);
    for (const d of p.doNotContact) out(`    do not contact: ${d.channel} ${d.contact}${d.senders.length > 0 ? ` from ${d.senders.join(', ')}` : ' from any sender'}`);
  }
}

function table(head: string[], rows: string[][], out: (line: string) => void): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  out(`  ${line(head)}`);
  for (const r of rows) out(`  ${line(r)}`);
}
