// The management API under /api/v1: flows and templates, the Flow API's batches, people and
// their journeys, reports; and the commercial product's add- and remove-participants endpoints (moments.ts).
import type { FastifyInstance } from 'fastify';
import type { Core } from '../../engine/core.js';
import { flowRoutes } from './flows.js';
import { peopleRoutes } from './people.js';
import { participantRoutes } from './participants.js';
import { reportRoutes } from './reports.js';
import { COMMUNICATION_PREFIX, momentsRoutes, MOMENTS_PREFIX, removalRoutes } from './moments.js';
import { mountApi } from './route.js';

export function registerApi(app: FastifyInstance, core: Core): void {
  mountApi(app, core, [...flowRoutes(core), ...participantRoutes(core), ...peopleRoutes(core), ...reportRoutes(core)]);
  mountApi(app, core, momentsRoutes(core), MOMENTS_PREFIX);
  mountApi(app, core, removalRoutes(core), COMMUNICATION_PREFIX);
}
