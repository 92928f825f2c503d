import type { FastifyReply, FastifyRequest } from 'fastify';

const COOKIE = 'hs_sid';
const SESSION_TTL_MS = 2 * 60 * 60 * 1000;

/** A browser session is a signed cookie naming the user and its expiry (signed by @fastify/cookie with the org key). */
export function startBrowserSession(reply: FastifyReply, userId: string, now: number): void {
  reply.setCookie(COOKIE, `${userId}.${now + SESSION_TTL_MS}`, { signed: true, httpOnly: true, sameSite: 'lax', path: '/', maxAge: SESSION_TTL_MS / 1000 });
}

export function browserSessionUser(request: FastifyRequest, now: number): string | undefined {
  const raw = request.cookies[COOKIE];
  if (!raw) return undefined;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) return undefined;
  const [userId, expiresAt] = unsigned.value.split('.');
  return userId && Number(expiresAt) > now ? userId : undefined;
}
