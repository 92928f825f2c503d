import type { Kysely } from 'kysely';
import type { OrgDatabase, UserTable } from '../store/schema.js';
import { effectiveAccess, type EffectiveAccess, type Grants } from './access.js';

export async function findUserById(db: Kysely<OrgDatabase>, id: string): Promise<UserTable | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findUserByUsername(db: Kysely<OrgDatabase>, username: string): Promise<UserTable | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function listUsers(db: Kysely<OrgDatabase>): Promise<UserTable[]> {
  return db.selectFrom('users').selectAll().orderBy('username').execute();
}

/** Profile ∪ assigned permission sets, with the permission set and permission set licence names. */
export async function userAccess(db: Kysely<OrgDatabase>, user: UserTable): Promise<EffectiveAccess & { permissionSets: string[]; permissionSetLicences: string[] }> {
  const sets = await db.selectFrom('permission_set_assignments')
    .innerJoin('permission_sets', 'permission_sets.id', 'permission_set_assignments.permission_set_id')
    .select(['permission_sets.name', 'object_permissions', 'field_permissions', 'system_permissions'])
    .where('permission_set_assignments.user_id', '=', user.id).orderBy('permission_sets.name').execute();
  const licences = await db.selectFrom('permission_set_licence_assignments').select('licence').where('user_id', '=', user.id).orderBy('licence').execute();
  const grants: Grants[] = sets.map((s) => ({
    objects: JSON.parse(s.object_permissions) as Grants['objects'],
    fields: JSON.parse(s.field_permissions) as Grants['fields'],
    system: JSON.parse(s.system_permissions) as Grants['system'],
  }));
  return { ...effectiveAccess(user.profile, grants), permissionSets: sets.map((s) => s.name), permissionSetLicences: licences.map((l) => l.licence) };
}
