import type { FastifyInstance } from 'fastify';
import { ApiError } from './api-error.js';

/**
 * A NUL character (U+0000) in a path parameter names nothing that can exist, and PostgreSQL
 * refuses it in a comparison: answered as an unknown resource, before any route runs, on every
 * store. (Record fields and SOQL refuse it with their own errors.)
 */
export function refuseNulInPath(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const params = Object.entries((request.params ?? {}) as Record<string, unknown>);
    const bad = params.find(([, value]) => typeof value === 'string' && value.includes('\u0000'));
    if (bad) throw new ApiError(404, 'NOT_FOUND', `The requested resource does not exist: the ${bad[0]} in the path contains a NUL character`);
  });
}
