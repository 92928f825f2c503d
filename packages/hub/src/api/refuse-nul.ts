import type { FastifyInstance } from 'fastify';
import { invalid } from '../problem.js';

/** Where a NUL character (U+0000) is in a parsed request part, walked without recursion. */
function nulAt(value: unknown, root: string): string | undefined {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length) {
    const [node, path] = stack.pop()!;
    if (typeof node === 'string') {
      if (node.includes('\u0000')) return path;
    } else if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key.includes('\u0000')) return path;
        stack.push([child, path ? `${path}.${key}` : key]);
      }
    }
  }
  return undefined;
}

/**
 * No text the hub keeps may hold U+0000: PostgreSQL refuses it (a 500 there, stored on SQLite).
 * Path parameters, the query and the body are checked once, before any route runs, on every store.
 */
export function refuseNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const path = nulAt(request.params, '') ?? nulAt(request.query, '') ?? nulAt(request.body, '');
    if (path !== undefined) throw invalid([{ path: path || '(body)', message: 'contains a NUL character (U+0000), which is not allowed' }]);
  });
}
