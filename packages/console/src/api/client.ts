import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

/** A problem+json answer of the hub, as the console shows it. */
export interface Problem { title?: string; status?: number; detail?: string; errors?: { path: string; message: string; line?: number; column?: number }[] }

let csrfToken: string | undefined;
/** The session's CSRF token, sent on every request that changes something (the session cookie itself is httpOnly). */
export const setCsrfToken = (token: string | undefined) => { csrfToken = token; };

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
};

/** The hub API, typed from its OpenAPI document; the session cookie goes with every call. */
export const api = createClient<paths>({ baseUrl: '/', credentials: 'same-origin' });
api.use(csrf);

/** What went wrong, in one line: the problem's detail, or each error with where it is. */
export function problemText(error: unknown): string {
  const p = error as Problem | undefined;
  if (!p) return 'The hub did not answer.';
  const where = p.errors?.map((e) => `${e.line !== undefined ? `${e.line}:${e.column ?? 1} ` : ''}${e.path}: ${e.message}`).join('; ');
  return p.detail ?? where ?? p.title ?? 'Something went wrong.';
}
