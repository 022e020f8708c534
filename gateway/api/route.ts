// How the /api/v1 routes are declared: method, url, the scope a key needs, TypeBox schemas
// (they validate the request and describe it in the OpenAPI document), and a handler. A
// handler that changes something answers only once the change is durable.
import type { IncomingMessage } from 'node:http';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../engine/core.js';
import type { Scope } from '../../engine/module.js';

export const API_PREFIX = '/api/v1';


export interface ApiRequest {
  readonly headers: Record<string, string | string[] | undefined>;
  /** The request as Node read it: its headers as sent, repeats included. */
  readonly raw: Pick<IncomingMessage, 'rawHeaders'>;
  readonly params: Record<string, string>;
  readonly query: Record<string, unknown>;
  readonly body: unknown;
  /** Whose API key the request carried (undefined on open routes, and in an app without the guard). */
  readonly caller?: { readonly id: string } | undefined;
}

/** What a handler returns: the body (status 200, or the route's `status`), an Answer, or a full reply. */
export type ApiAnswer = unknown;

/** A body with a status other than the route's (e.g. 200 for a POST that changed what existed instead of creating). */
export class Answer {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly scope: Scope;
  readonly summary: string;
  readonly schema?: { body?: TSchema; params?: TSchema; querystring?: TSchema };
  /** Status of a successful answer; default 200 (204 sends no body). */
  readonly status?: number;
  /** Other statuses a successful answer may have (given with an Answer), for the API document. */
  readonly alsoStatus?: readonly number[];
  /** Whether the route changes state: it answers once the change is durable. */
  readonly writes?: boolean;
  /** The largest body it takes, in bytes; default the app's (1 MiB). */
  readonly bodyLimit?: number;
  handle(req: ApiRequest, reply: FastifyReply): ApiAnswer | Promise<ApiAnswer>;
}

export function mountApi(app: FastifyInstance, core: Core, routes: readonly ApiRoute[], prefix = API_PREFIX): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: prefix + route.url,
      schema: { ...route.schema, summary: route.summary, tags: [tagOf(route.url)] },
      ...(route.bodyLimit === undefined ? {} : { bodyLimit: route.bodyLimit }),
      config: { scope: route.scope, ...(route.status === undefined ? {} : { status: route.status }), ...(route.alsoStatus === undefined ? {} : { alsoStatus: route.alsoStatus }) },
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const answer = await route.handle(req as unknown as ApiRequest, reply);
        if (route.writes) await core.durable();
        if (reply.sent) return reply;
        if (answer instanceof Answer) return reply.status(answer.status).send(answer.body);
        return reply.status(route.status ?? 200).send(route.status === 204 ? undefined : answer);
      },
    });
  }
}

/** The first path segment names the group in the API document (flows, people, …). */
function tagOf(url: string): string {
  return url.split('/')[1] ?? 'api';
}
