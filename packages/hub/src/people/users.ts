import { randomUUID } from 'node:crypto';
import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { audit } from '../audit/audit-log.js';
import type { Actor } from '../context.js';
import { parse } from '../credentials/common.js';
import { Problem } from '../problem.js';
import type { HubDatabase, UserTable } from '../store/schema.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.js';
import { ROLES, scopesOf, type Role } from './roles.js';

/** People who sign in to the console: a username, a password (scrypt), a role. */
export const createUserInput = z.object({
  username: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{1,99}$/, 'must be 2 to 100 letters, digits, dots, @, +, _ or -, starting with a letter or digit'),
  displayName: z.string().trim().min(1).max(100).optional(),
  password: z.string().min(12, 'must be at least 12 characters').max(200),
  role: z.enum(ROLES),
  /** The seed's "Manage Integration Connections" permission: create, edit and delete connections. */
  manageConnections: z.boolean().default(false),
}).strict();

export interface UserView { id: string; username: string; displayName: string; role: Role; manageConnections: boolean; scopes: string[]; createdAt: string }

export const userView = (u: UserTable): UserView => ({
  id: u.id, username: u.username, displayName: u.display_name, role: u.role as Role, manageConnections: u.manage_connections === 1,
  scopes: scopesOf(u.role as Role, u.manage_connections === 1), createdAt: new Date(u.created_at).toISOString(),
});

export async function createUser(db: Kysely<HubDatabase>, actor: Actor, body: unknown, now: number): Promise<UserView> {
  const input = parse(createUserInput, body);
  if (await findUser(db, input.username)) {
    throw new Problem(409, 'Username taken', `A user named ${input.username} exists.`, [{ path: 'username', message: 'is taken' }]);
  }
  const row: UserTable = {
    id: randomUUID(), username: input.username, display_name: input.displayName ?? input.username, password_hash: await hashPassword(input.password),
    role: input.role, manage_connections: input.manageConnections || input.role === 'admin' ? 1 : 0, disabled: 0, created_at: now,
  };
  await db.insertInto('users').values(row).execute();
  await audit(db, now, { actor: actor.name, action: 'user.create', targetType: 'user', targetId: row.id, outcome: 'success', detail: `${row.username} (${row.role})` });
  return userView(row);
}

/**
 * The hub's first admin, from the one-time setup page: only while there is no user at all. The
 * check and the insert are one transaction, so two people racing get one admin (SQLite serializes
 * writers; on PostgreSQL the table is locked for the moment it takes).
 */
export async function createFirstAdmin(db: Kysely<HubDatabase>, input: { username: string; password: string; displayName?: string | undefined }, now: number): Promise<UserView | undefined> {
  const passwordHash = await hashPassword(input.password);
  const row: UserTable = { id: randomUUID(), username: input.username, display_name: input.displayName ?? input.username, password_hash: passwordHash, role: 'admin', manage_connections: 1, disabled: 0, created_at: now };
  const created = await db.transaction().execute(async (trx) => {
    if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`LOCK TABLE users IN EXCLUSIVE MODE`.execute(trx);
    if ((await countUsers(trx)) > 0) return false;
    await trx.insertInto('users').values(row).execute();
    return true;
  });
  if (!created) return undefined;
  await audit(db, now, { actor: input.username, action: 'user.create', targetType: 'user', targetId: row.id, outcome: 'success', detail: `${row.username} (admin) from the setup page` });
  return userView(row);
}

export async function listUsers(db: Kysely<HubDatabase>): Promise<UserView[]> {
  return (await db.selectFrom('users').selectAll().orderBy('username').execute()).map(userView);
}

export const countUsers = async (db: Kysely<HubDatabase>) => Number((await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

/** A person who signed in through the sign-in provider and is added with its default role; no password (none matches '!'). */
export async function addSignedInUser(db: Kysely<HubDatabase>, username: string, displayName: string, role: Role, now: number, provider: string): Promise<UserTable> {
  const row: UserTable = { id: randomUUID(), username: username.slice(0, 100), display_name: displayName.slice(0, 100), password_hash: '!', role, manage_connections: role === 'admin' ? 1 : 0, disabled: 0, created_at: now };
  await db.insertInto('users').values(row).execute();
  await audit(db, now, { actor: `${provider} sign-in`, action: 'user.create', targetType: 'user', targetId: row.id, outcome: 'success', detail: `${row.username} (${role}) on first sign-in` });
  return row;
}

export const findUser = (db: Kysely<HubDatabase>, username: string) => db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();

/** The user whose password this is, or undefined; as slow for an unknown username as for a wrong password. */
export async function checkPassword(db: Kysely<HubDatabase>, username: string, password: string): Promise<UserTable | undefined> {
  const user = await findUser(db, username);
  const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
  return ok && user && user.disabled === 0 ? user : undefined;
}
