// /api/v1 flows: create from a definition, read, update the draft, validate, launch, pause,
// resume, cancel, versions (list, new, stop one), duplicate, delete a draft, change the
// schedule or goal in place, edit an active flow's entry point (add or remove audience), and
// templates (list, save a flow as one, start a draft from one, delete). Every rule lives in the
// engine; these routes only translate HTTP.
import { Type } from '@sinclair/typebox';
import type { Engine } from '../../engine/runtime/engine.js';
import type { Core } from '../../engine/core.js';
import { JunctionError } from '../../engine/errors.js';
import { Identifier } from '../../engine/flow-schema.js';
import type { FlowRecord } from '../../engine/vocabulary.js';
import type { TemplateRecord } from '../../engine/runtime/templates.js';
import type { ApiRoute } from './route.js';
import { orderedPage, pageFields, PAGE, type PageQuery } from './pages.js';

const Definition = Type.Object({}, { additionalProperties: true, description: 'A flow document (docs/flow.schema.json)' });
const FlowParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const VersionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), version: Type.String({ pattern: '^[1-9][0-9]{0,8}$', description: 'a version number (1, 2, …)' }) });
const EntryParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), entryId: Type.String({ minLength: 1, maxLength: 64 }) });
const DateTime = Type.String({ minLength: 1, maxLength: 40 });
/** No query parameters: one sent (e.g. ?version=) is refused rather than ignored. */
const NoQuery = Type.Object({}, { additionalProperties: false });
const FlowsQuery = Type.Object(pageFields('flows'), { additionalProperties: false });
const TemplatesQuery = Type.Object(pageFields('templates'), { additionalProperties: false });

/** A version as the API shows it; `definition` only where asked for. */
function view(r: FlowRecord, withDefinition = false) {
  const base = { id: r.id, version: r.version, name: r.definition.name, status: r.status, statusAt: new Date(r.statusAt).toISOString() };
  return withDefinition ? { ...base, definition: r.definition } : base;
}

function templateView(t: TemplateRecord, withDefinition = false) {
  const base = { id: t.id, name: t.name, description: t.description, builtIn: t.builtIn };
  return withDefinition ? { ...base, definition: t.definition } : base;
}

/** The flow's versions, oldest first; JCT_FLOW_UNKNOWN when there is none. */
function versionsOf(engine: Engine, id: string): readonly FlowRecord[] {
  const versions = engine.flowVersions(id);
  if (versions.length === 0) throw new JunctionError('JCT_FLOW_UNKNOWN', `no flow with id "${id}"`);
  return versions;
}

/** The newest version (a draft when there is one). */
function latest(engine: Engine, id: string): FlowRecord {
  return versionsOf(engine, id).at(-1)!;
}

/** A flow in lists: the version that runs (else the newest), and the newest version's number. */
function listed(engine: Engine, versions: readonly FlowRecord[]) {
  const newest = versions.at(-1)!;
  return { ...view(shownOf(engine, versions)), latestVersion: newest.version };
}

/** A flow read alone: as in lists, with the shown version's definition. */
function flowSummary(engine: Engine, id: string) {
  const versions = versionsOf(engine, id);
  return { ...listed(engine, versions), definition: shownOf(engine, versions).definition };
}

/** The version a flow is shown by: the one that runs, else the newest. */
function shownOf(engine: Engine, versions: readonly FlowRecord[]): FlowRecord {
  const newest = versions.at(-1)!;
  return engine.status(newest.id) ?? newest;
}

/** The body's id, which must be the URL's when both are given. */
function withId(id: string, body: unknown): Record<string, unknown> {
  const doc = body as Record<string, unknown>;
  if (doc['id'] !== undefined && doc['id'] !== id) throw new JunctionError('JCT_FLOW_ID_MISMATCH', `the document's id "${String(doc['id'])}" is not the URL's "${id}"`);
  return { ...doc, id };
}

export function flowRoutes(core: Core): ApiRoute[] {
  const p = (req: { params: Record<string, string> }) => req.params['id']!;
  const engine = (): Engine => core.front;
  return [
    {
      method: 'GET', url: '/flows', scope: 'flows', summary: `The flows by id, a page at a time (\`limit\`, default ${PAGE}; \`after\` = the previous \`next\`): each with the version that runs (else the newest), and the newest version number`,
      schema: { querystring: FlowsQuery },
      handle: (req) => orderedPage(engine().flows(), req.query as PageQuery, 'flows', (versions) => listed(engine(), versions)),
    },
    {
      method: 'POST', url: '/flows', scope: 'flows', summary: 'Create a flow (a draft) from a definition', schema: { body: Definition }, status: 201, writes: true,
      handle: async (req) => {
        const id = (req.body as { id?: unknown }).id;
        if (typeof id === 'string' && engine().flowVersions(id).length > 0) throw new JunctionError('JCT_FLOW_EXISTS', `a flow with id "${id}" exists already; PUT /api/v1/flows/${id} updates its draft`);
        return view(await core.save(req.body), true);
      },
    },
    { method: 'POST', url: '/flows/validate', scope: 'flows', summary: 'Check a definition; every problem with its path and code', schema: { body: Definition }, handle: (req) => validation(engine(), req.body) },
    { method: 'GET', url: '/flows/:id', scope: 'flows', summary: 'The version that runs (else the newest) with its definition, and the newest version', schema: { params: FlowParams, querystring: NoQuery }, handle: (req) => flowSummary(engine(), p(req)) },
    {
      method: 'PUT', url: '/flows/:id', scope: 'flows', summary: 'Replace the draft (a launched version is never edited: create a new version)', schema: { params: FlowParams, body: Definition }, writes: true,
      handle: async (req) => {
        const record = latest(engine(), p(req));
        if (record.status !== 'draft') throw new JunctionError('JCT_FLOW_STATUS', `flow "${record.id}" has no draft (version ${record.version} is ${record.status}); POST /api/v1/flows/${record.id}/versions starts one`);
        return view(await core.save(withId(p(req), req.body)), true);
      },
    },
    { method: 'DELETE', url: '/flows/:id', scope: 'flows', summary: 'Delete the draft (launched versions stay)', schema: { params: FlowParams }, status: 204, writes: true, handle: (req) => core.deleteDraft(p(req)) },
    { method: 'POST', url: '/flows/:id/launch', scope: 'flows', summary: 'Launch the draft', schema: { params: FlowParams }, writes: true, handle: async (req) => view(await core.launch(p(req))) },
    { method: 'POST', url: '/flows/:id/pause', scope: 'flows', summary: 'Pause the running version', schema: { params: FlowParams }, writes: true, handle: async (req) => view(await core.pause(p(req))) },
    { method: 'POST', url: '/flows/:id/resume', scope: 'flows', summary: 'Resume a paused version', schema: { params: FlowParams }, writes: true, handle: async (req) => view(await core.resume(p(req))) },
    { method: 'POST', url: '/flows/:id/cancel', scope: 'flows', summary: 'Cancel every running version: everyone inside leaves', schema: { params: FlowParams }, writes: true, handle: async (req) => view(await core.cancel(p(req))) },
    { method: 'GET', url: '/flows/:id/versions', scope: 'flows', summary: 'Every version, oldest first', schema: { params: FlowParams }, handle: (req) => ({ versions: versionsOf(engine(), p(req)).map((r) => view(r)) }) },
    {
      method: 'POST', url: '/flows/:id/versions', scope: 'flows', summary: 'Start a new version (a draft) from a definition', schema: { params: FlowParams, body: Definition }, status: 201, writes: true,
      handle: async (req) => {
        const record = latest(engine(), p(req));
        if (record.status === 'draft') throw new JunctionError('JCT_FLOW_STATUS', `flow "${record.id}" has a draft already (version ${record.version}); PUT /api/v1/flows/${record.id} replaces it`);
        return view(await core.save(withId(p(req), req.body)), true);
      },
    },
    {
      method: 'POST', url: '/flows/:id/versions/:version/stop', scope: 'flows', summary: 'Stop one version: nobody new enters it; it finishes when empty', schema: { params: VersionParams }, writes: true,
      handle: async (req) => view(await core.stopVersion(p(req), Number(req.params['version']))),
    },
    {
      method: 'POST', url: '/flows/:id/duplicate', scope: 'flows', summary: 'A new, independent flow from a version', status: 201, writes: true,
      schema: { params: FlowParams, body: Type.Object({ id: Identifier, version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }) },
      handle: async (req) => {
        const body = req.body as { id: string; version?: number };
        return view(await core.duplicate(p(req), body.id, body.version), true);
      },
    },
    {
      method: 'PUT', url: '/flows/:id/schedule', scope: 'flows', summary: 'Replace the schedule of every version in place (a field left out is removed; a started version keeps its start)', writes: true,
      schema: { params: FlowParams, body: Type.Object({ start: Type.Optional(DateTime), end: Type.Optional(DateTime) }, { additionalProperties: false }) },
      handle: async (req) => ({ versions: (await core.changeSchedule(p(req), req.body as { start?: string; end?: string })).map((r) => view(r)) }),
    },
    {
      method: 'PUT', url: '/flows/:id/goal', scope: 'flows', summary: 'Set (or with null clear) the goal event of the running version in place', writes: true,
      schema: { params: FlowParams, body: Type.Object({ event: Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()]) }, { additionalProperties: false }) },
      handle: async (req) => view(await core.changeGoal(p(req), (req.body as { event: string | null }).event ?? undefined)),
    },
    {
      method: 'PUT', url: '/flows/:id/entry-points/:entryId', scope: 'flows', summary: "Edit an active flow's entry point in place (e.g. add or remove audience)", writes: true,
      schema: { params: EntryParams, body: Type.Object({ config: Type.Unknown() }, { additionalProperties: false }) },
      handle: async (req) => {
        await core.reconfigureEntry(p(req), req.params['entryId']!, (req.body as { config: unknown }).config);
        return view(latest(engine(), p(req)), true);
      },
    },
    {
      method: 'GET', url: '/templates', scope: 'flows', summary: `Built-in and saved templates by id, a page at a time (\`limit\`, default ${PAGE}; \`after\` = the previous \`next\`)`,
      schema: { querystring: TemplatesQuery },
      handle: (req) => orderedPage(engine().templates(), req.query as PageQuery, 'templates', (t) => templateView(t)),
    },
    {
      method: 'GET', url: '/templates/:id', scope: 'flows', summary: 'A template with its definition', schema: { params: FlowParams },
      handle: (req) => {
        const t = engine().template(p(req));
        if (!t) throw new JunctionError('JCT_TEMPLATE_UNKNOWN', `no template with id "${p(req)}"`);
        return templateView(t, true);
      },
    },
    {
      method: 'POST', url: '/templates', scope: 'flows', summary: 'Save a version of a flow as a template', status: 201, writes: true,
      schema: {
        body: Type.Object(
          { id: Identifier, flowId: Type.String({ minLength: 1, maxLength: 64 }), version: Type.Optional(Type.Integer({ minimum: 1 })), name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), description: Type.Optional(Type.String({ maxLength: 2000 })) },
          { additionalProperties: false },
        ),
      },
      handle: async (req) => {
        const { id, flowId, ...options } = req.body as { id: string; flowId: string; version?: number; name?: string; description?: string };
        return templateView(await core.saveTemplate(flowId, id, options));
      },
    },
    {
      method: 'POST', url: '/templates/:id/flows', scope: 'flows', summary: 'A new draft flow from the template', status: 201, writes: true,
      schema: { params: FlowParams, body: Type.Object({ id: Identifier }, { additionalProperties: false }) },
      handle: async (req) => view(await core.draftFromTemplate(p(req), (req.body as { id: string }).id), true),
    },
    { method: 'DELETE', url: '/templates/:id', scope: 'flows', summary: 'Delete a saved template', schema: { params: FlowParams }, status: 204, writes: true, handle: (req) => core.deleteTemplate(p(req)) },
  ];
}

function validation(engine: Engine, doc: unknown) {
  const problems = engine.validate(doc);
  return { valid: problems.length === 0, problems };
}
