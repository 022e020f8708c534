// Shared by the /api/v1 tests: an app on 127.0.0.1 (a random port) over a test world, and a
// client (undici) that sends JSON with an admin key unless told otherwise; for the commercial
// product's participants API (/moments/1), a world with the flow `promo` and an add that reads
// its report back.
import type { Test } from 'tap';
import { request } from 'undici';
import type { AddressInfo } from 'node:net';
import { buildApp, type AppOptions } from '../../gateway/app.js';
import { flow, pauseDays, world, type World } from '../engine/helpers.js';

export interface Answer {
  status: number;
  json: any;
  text: string;
  headers: Record<string, unknown>;
}

export interface Api {
  w: World;
  keys: ReturnType<typeof buildApp>['keys'];
  /** Sent with an admin key unless `authorization` says otherwise; `path` is under `prefix` (default /api/v1). */
  call(method: string, path: string, body?: unknown, authorization?: string, headers?: Record<string, string>, prefix?: string): Promise<Answer>;
}

export async function api(t: Test, w: World = world(), options: AppOptions = {}): Promise<Api> {
  const app = buildApp(w.engine, options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const admin = `Bearer ${app.keys.create('test', ['admin']).key}`;
  return {
    w,
    keys: app.keys,
    async call(method, path, body, authorization = admin, headers = {}, prefix = '/api/v1') {
      const r = await request(origin + prefix + path, {
        method: method as 'GET',
        headers: { authorization, ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = Buffer.from(await r.body.arrayBuffer()).toString('utf8'); // as sent: body.text() would drop a byte order mark
      const json = r.headers['content-type']?.toString().startsWith('application/json') ? JSON.parse(text) : undefined;
      return { status: r.statusCode, json, text, headers: r.headers };
    },
  };
}

const MOMENTS = '/moments/1';

/** `w` with the flow `promo` (a pause of a day, then the end; `settings` as flow() takes them) saved and launched. */
export function promoWorld(settings: Record<string, unknown> = {}, w: World = world()): World {
  w.engine.save(flow('promo', [pauseDays('p', 1)], settings));
  w.engine.launch('promo');
  return w;
}

/** POST /moments/1/flows/{flow}/participants with `body`, then GET the operation's report, both as `authorization` (admin by default). */
export async function addThroughMoments(call: Api['call'], flowId: string, body: unknown, authorization?: string): Promise<{ added: Answer; report: Answer }> {
  const added = await call('POST', `/flows/${flowId}/participants`, body, authorization, {}, MOMENTS);
  const report = await call('GET', `/flows/${flowId}/participants/report?operationId=${added.json.operationId}`, undefined, authorization, {}, MOMENTS);
  return { added, report };
}
