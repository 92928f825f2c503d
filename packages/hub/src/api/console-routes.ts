import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` puts the console (packages/console/dist), from src/api or dist/api alike. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../console/dist', import.meta.url));

/**
 * The console at `/`: the single-page app's files, each from the package (nothing from a CDN),
 * under a Content Security Policy that allows only the hub's own origin.
 */
export async function consoleRoutes(app: FastifyInstance, dir: string): Promise<void> {
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', async (_request, reply) => reply.type('text/plain').send('The console is not built: run `npm run build`. The API is at /api/v1 (reference at /api/docs).'));
    return;
  }
  await app.register(fastifyStatic, { root: dir, prefix: '/', index: ['index.html'], wildcard: false, cacheControl: false });
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/api/') || request.url.startsWith('/metrics')) return;
    reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    // Assets are named by content hash: cached for good; index.html is always asked again.
    reply.header('cache-control', request.url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
  });
}
