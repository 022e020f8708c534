// /api/v1 reports: a flow's metrics (one version, or every version together) as JSON, or its
// per-element figures as CSV (`?format=csv`); the monthly engaged persons report (JSON a page of
// people at a time, or CSV of them all). CSV cells that a spreadsheet would read as a
// formula (starting with = + - @, or a tab or carriage return) are prefixed with ' so that an
// element named "=HYPERLINK(…)" stays text. A CSV starts with a UTF-8 byte order mark: without
// it a spreadsheet reads the file in its local code page and garbles names such as "Dobrodošlica".
import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { Core } from '../../engine/core.js';
import type { NodeMetrics } from '../../engine/runtime/metrics.js';
import type { EngagedCursor, EngagedPerson } from '../../engine/runtime/engagement.js';
import type { ApiRoute } from './route.js';
import { PAGE, badCursor, pageFields } from './pages.js';

const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const Query = Type.Object(
  {
    version: Type.Optional(Type.String({ pattern: '^([1-9][0-9]{0,8}|all)$', description: 'a version number, or all (people counted once); default the newest launched' })),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
  },
  { additionalProperties: false },
);

const FORMULA = /^[=+\-@\t\r]/;

/** One CSV cell: quoted when it holds a comma, quote or line break; formula starts made text. */
export function csvCell(value: unknown): string {
  let text = String(value ?? '');
  if (FORMULA.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The byte order mark a CSV starts with: spreadsheets then read it as UTF-8. */
const UTF8_BOM = '\ufeff';

/** One CSV line, its line end included. */
function csvLine(row: readonly unknown[]): string {
  return row.map(csvCell).join(',') + '\r\n';
}

/** Lines per chunk of a streamed CSV. */
const LINES_PER_CHUNK = 500;

/** The CSV text of the rows in chunks, the byte order mark first; made as they are read. */
function* csvChunks(rows: Iterable<readonly unknown[]>): Generator<string> {
  let chunk = UTF8_BOM;
  let lines = 0;
  for (const row of rows) {
    chunk += csvLine(row);
    if (++lines % LINES_PER_CHUNK === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

export function csvLines(rows: readonly (readonly unknown[])[]): string {
  return [...csvChunks(rows)].join('');
}

/** The same text as csvLines, made a chunk at a time as the client reads it. */
function csvStream(rows: Iterable<readonly unknown[]>): Readable {
  return Readable.from(csvChunks(rows), { objectMode: false });
}

function elementsCsv(elements: readonly NodeMetrics[]): string {
  const counters = [...new Set(elements.flatMap((e) => Object.keys(e.counters)))].sort();
  const header = ['element', 'name', 'type', 'totalEngagements', 'uniqueUsersEngaged', 'failures', ...counters];
  return csvLines([header, ...elements.map((e) => [e.id, e.name, e.type, e.totalEngagements, e.uniqueUsersEngaged, e.failures, ...counters.map((c) => e.counters[c] ?? 0)])]);
}

const EngagedQuery = Type.Object(
  {
    month: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: "YYYY-MM, in the workspace's time zone (JUNCTION_TIME_ZONE); kept 13 months" }),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
    ...pageFields('people'),
  },
  { additionalProperties: false },
);

interface ShownPerson {
  personId: string;
  engagedAt: string;
  flowId: string;
  flowName: string;
}

/**
 * The engaged persons of a month with flow names: JSON (total, top 10 flows, a page of people in
 * the order they engaged, with `next` when more follow) or CSV of them all, streamed.
 */
async function engaged(core: Core, query: Static<typeof EngagedQuery>, reply: FastifyReply) {
  const csv = query.format === 'csv';
  const page = csv ? {} : { limit: query.limit === undefined ? PAGE : Number(query.limit), ...(query.after === undefined ? {} : { after: cursorOf(query.after) }) };
  const report = await core.engagedReport(query.month, page);
  const name = (flowId: string) => core.front.status(flowId)?.definition.name ?? '';
  const shown = (p: EngagedPerson): ShownPerson => ({ personId: p.personId, engagedAt: new Date(p.engagedAt).toISOString(), flowId: p.flowId, flowName: name(p.flowId) });
  if (csv) {
    void reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="engaged-${report.month}.csv"`);
    return csvStream(engagedRows(report.people, shown));
  }
  const last = report.people[report.people.length - 1];
  const next = report.more && last ? { next: `${last.engagedAt}.${last.personId}` } : {};
  return { month: report.month, total: report.total, topFlows: report.topFlows.map((f) => ({ ...f, name: name(f.flowId) })), people: report.people.map(shown), ...next };
}

/** The CSV's rows: the header, then each person as the JSON shows them. */
function* engagedRows(people: readonly EngagedPerson[], shown: (p: EngagedPerson) => ShownPerson): Generator<readonly unknown[]> {
  yield ['personId', 'engagedAt', 'flowId', 'flowName'];
  for (const p of people) {
    const { personId, engagedAt, flowId, flowName } = shown(p);
    yield [personId, engagedAt, flowId, flowName];
  }
}

/**
 * The place a page starts after: `<engagedAt ms>.<personId>` of the previous page's last person,
 * in the report's own order, so a page stays right when people engage or are erased between two
 * calls; JCT_CURSOR_INVALID when it is not one (digits only before the dot: no sign, hex or exponent).
 */
function cursorOf(cursor: string): EngagedCursor {
  const [, at, personId] = /^(\d{1,15})\.(.+)$/s.exec(cursor) ?? [];
  if (at === undefined || personId === undefined) throw badCursor();
  return { at: Number(at), personId };
}

export function reportRoutes(core: Core): ApiRoute[] {
  return [
    {
      method: 'GET', url: '/reports/engaged', scope: 'reports', summary: 'Monthly engaged persons: everyone who entered any flow that month, once, with the first flow; total and top 10 flows; people a page at a time (`limit`, `after` = the previous `next`), all of them as CSV',
      schema: { querystring: EngagedQuery },
      handle: (req, reply) => engaged(core, req.query as Static<typeof EngagedQuery>, reply),
    },
    {
      method: 'GET', url: '/reports/flows/:id', scope: 'reports', summary: "A flow's metrics: one version or all together; ?format=csv gives the per-element figures",
      schema: { params: Params, querystring: Query },
      handle: async (req, reply: FastifyReply) => {
        const id = req.params['id']!;
        const { version, format } = req.query as Static<typeof Query>;
        const metrics = version === 'all' ? await core.metricsAllVersions(id) : await core.metrics(id, version === undefined ? undefined : Number(version));
        if (format !== 'csv') return metrics;
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${id}-metrics.csv"`)
          .send(elementsCsv(metrics.elements));
      },
    },
  ];
}
