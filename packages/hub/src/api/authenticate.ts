import type { FastifyRequest } from 'fastify';
import { authenticateApiKey, type ApiScope, type KeyUsage } from '../api-keys/api-keys.js';
import type { Actor, HubContext } from '../context.js';
import { scopesOf, type Role } from '../people/roles.js';
import { CSRF_HEADER, csrfMatches, findSession, SESSION_COOKIE } from '../people/sessions.js';
import { Problem } from '../problem.js';

/** Who is calling: an API key (Authorization: Bearer hsk_…) or a person signed in to the console (session cookie). */
export interface Principal { kind: 'api-key' | 'user'; id: string; name: string; scopes: ApiScope[] }

declare module 'fastify' {
  interface FastifyRequest { principal?: Principal }
}

export type Guard = (scope: ApiScope) => (request: FastifyRequest) => Promise<void>;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session's user as a principal, CSRF-checked when the request changes something; undefined without a live session. */
export async function sessionPrincipal(ctx: HubContext, request: FastifyRequest): Promise<Principal | undefined> {
  const token = request.cookies[SESSION_COOKIE];
  if (!token) return undefined;
  const user = await findSession(ctx.db, token, ctx.now());
  if (!user) return undefined;
  const presented = request.headers[CSRF_HEADER];
  if (!SAFE_METHODS.has(request.method) && !csrfMatches(token, typeof presented === 'string' ? presented : undefined)) {
    throw new Problem(403, 'CSRF check failed', `Send the session's CSRF token in ${CSRF_HEADER} (GET /api/v1/session answers it).`);
  }
  return { kind: 'user', id: user.id, name: user.username, scopes: scopesOf(user.role as Role, user.manage_connections === 1) };
}

/**
 * The one check in front of every route: an API key when an Authorization header is sent, else the
 * console session; then the route's scope.
 */
export function guardWith(ctx: HubContext, keyUsage: KeyUsage): Guard {
  return (scope) => async (request) => {
    const header = request.headers.authorization;
    let principal: Principal | undefined;
    if (header !== undefined) {
      const presented = header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
      const key = presented ? await authenticateApiKey(ctx.db, presented) : undefined;
      if (key) {
        principal = { kind: 'api-key', ...key };
        keyUsage.used(key.id, ctx.now());
      }
    } else principal = await sessionPrincipal(ctx, request);
    if (!principal) throw new Problem(401, 'Unauthorized', 'Send a valid API key: "Authorization: Bearer hsk_…" (create one with `handshake hub api-key create`), or sign in to the console.');
    if (!principal.scopes.includes(scope)) throw new Problem(403, 'Forbidden', principal.kind === 'user' ? `Your role does not allow this (it needs ${scope}).` : `This API key lacks the ${scope} scope.`);
    request.principal = principal;
  };
}

/**
 * Who the audit log names, and who principals are granted to: an API key by its name, a person as
 * `user:<username>` (so a grant names exactly one of them).
 */
export function actorOf(request: FastifyRequest): Actor {
  const p = request.principal!;
  return p.kind === 'user' ? { name: p.name, apiKeyName: `user:${p.name}` } : { name: `api-key:${p.name}`, apiKeyName: p.name };
}
