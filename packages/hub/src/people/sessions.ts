import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { HubDatabase, UserTable } from '../store/schema.js';

/**
 * Console sessions: a random 256-bit token in an httpOnly, SameSite=Strict cookie, stored only as
 * its SHA-256. The session's CSRF token is derived from the session token (so only a page that can
 * read the hub's answers has it), sent by the console in `X-CSRF-Token` on every request that
 * changes something. Sessions end after 12 hours without use, and 7 days after sign-in.
 */
export const SESSION_COOKIE = 'hs_session';
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_IDLE_MS = 12 * 3_600_000;
const ABSOLUTE_MS = 7 * 86_400_000;
/** A session's last use is written at most once a minute (not on every request). */
const TOUCH_EVERY_MS = 60_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

/** The CSRF token of a session, from its (secret) session token. */
export const csrfTokenOf = (sessionToken: string) => sha256(`handshake-csrf:${sessionToken}`);

export async function createSession(db: Kysely<HubDatabase>, userId: string, now: number): Promise<{ token: string; csrfToken: string }> {
  const token = randomBytes(32).toString('base64url');
  await db.insertInto('sessions').values({ id_hash: sha256(token), user_id: userId, created_at: now, last_seen_at: now }).execute();
  return { token, csrfToken: csrfTokenOf(token) };
}

/** The user of a live session (active, within both lifetimes), or undefined. */
export async function findSession(db: Kysely<HubDatabase>, token: string, now: number): Promise<UserTable | undefined> {
  const idHash = sha256(token);
  const row = await db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id').selectAll('users')
    .select(['sessions.created_at as session_created_at', 'sessions.last_seen_at']).where('sessions.id_hash', '=', idHash).executeTakeFirst();
  if (!row || row.disabled === 1 || now - row.last_seen_at > SESSION_IDLE_MS || now - row.session_created_at > ABSOLUTE_MS) return undefined;
  if (now - row.last_seen_at > TOUCH_EVERY_MS) await db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
  const { session_created_at: _c, last_seen_at: _l, ...user } = row;
  return user;
}

/** The one CSRF check: the header carries the session's CSRF token (compared in constant time). */
export function csrfMatches(sessionToken: string, presented: string | undefined): boolean {
  return presented !== undefined && timingSafeEqual(Buffer.from(sha256(presented)), Buffer.from(sha256(csrfTokenOf(sessionToken))));
}

export async function endSession(db: Kysely<HubDatabase>, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', sha256(token)).execute();
}

/** Sessions past either lifetime. */
export async function pruneSessions(db: Kysely<HubDatabase>, now: number): Promise<void> {
  await db.deleteFrom('sessions').where((eb) => eb.or([eb('last_seen_at', '<', now - SESSION_IDLE_MS), eb('created_at', '<', now - ABSOLUTE_MS)])).execute();
}
