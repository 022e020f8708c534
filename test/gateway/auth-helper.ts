// Test helper: requests to protected routes carry a key. adminHeaders() creates an admin key on
// an app built with buildApp and returns the header that sends it.
import type { FastifyInstance } from 'fastify';

export function adminHeaders(app: FastifyInstance): { authorization: string } {
  return { authorization: `Bearer ${app.keys.create('test admin', ['admin']).key}` };
}
