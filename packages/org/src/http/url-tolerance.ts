import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * Salesforce answers `//services/data/…` (@salesforce/core and jsforce build it from an instance URL
 * stored with a trailing slash), and takes `/services/data/vXX.X/` or `/query/?q=` with a trailing
 * slash as without. Only a leading run of slashes collapses; `//` inside a path stays a 404, as there.
 * Runs on the raw request, before the fast paths and the router see the URL.
 */
export function tolerateSlashes(req: IncomingMessage): void {
  let url = req.url;
  if (!url) return;
  if (url.startsWith('//')) url = url.replace(/^\/+/, '/');
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (path.length > 1 && path.endsWith('/') && !path.endsWith('//')) url = path.slice(0, -1) + (query < 0 ? '' : url.slice(query));
  req.url = url;
}

const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/**
 * @salesforce/core sends `Content-Type: application/json` on every request, DELETE and GET included,
 * with no body; Salesforce ignores the header then, so a body-less request here is not parsed at all.
 */
export function ignoreContentTypeWithoutBody(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (!BODYLESS.has(request.method)) return;
    const { 'content-length': length, 'transfer-encoding': chunked } = request.headers;
    if ((length === undefined || length === '0') && chunked === undefined) delete request.headers['content-type'];
  });
}
