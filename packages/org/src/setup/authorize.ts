import type { Kysely } from 'kysely';
import { findProfile, type SystemPermission } from '../identity/catalog.js';
import type { EffectiveAccess } from '../identity/access.js';
import { findUserByUsername, userAccess } from '../identity/users.js';
import type { OrgDatabase } from '../store/schema.js';
import type { SetupDocument } from './schema.js';

/**
 * What a caller of the setup API may change, decided on the parsed document (never on its text):
 * apps need External Client App Developer, and nobody confers a system permission they do not
 * hold themselves, whether through a permission set they define or assign, a profile they give a
 * user, or an app that runs as a user who holds it. Salesforce keeps delegated administrators to
 * the same rule: an admin can assign only what it may grant. Returns what is missing, one line each.
 */
export async function setupRefusals(db: Kysely<OrgDatabase>, caller: EffectiveAccess, doc: SetupDocument): Promise<string[]> {
  const held = new Set<SystemPermission>(caller.system);
  const refusals: string[] = [];
  const beyond = (perms: readonly SystemPermission[]) => perms.filter((p) => !held.has(p));
  const docSets = new Map(doc.permissionSets.map((s) => [s.name, s.system]));
  const setPermissions = async (name: string): Promise<SystemPermission[]> => {
    const inDoc = docSets.get(name);
    if (inDoc) return inDoc;
    const row = await db.selectFrom('permission_sets').select('system_permissions').where('name', '=', name).executeTakeFirst();
    return row ? JSON.parse(row.system_permissions) as SystemPermission[] : [];
  };

  if (doc.apps.length > 0 && !held.has('ExternalClientAppDeveloper')) refusals.push('apps: creating or changing External Client Apps needs the ExternalClientAppDeveloper permission');
  doc.permissionSets.forEach((set, i) => {
    const extra = beyond(set.system);
    if (extra.length) refusals.push(`permissionSets[${i}] (${set.name}) grants ${extra.join(', ')}, which you do not hold`);
  });
  for (const [i, user] of doc.users.entries()) {
    const fromProfile = beyond(findProfile(user.profile)?.system ?? []);
    if (fromProfile.length) refusals.push(`users[${i}] (${user.username}): the profile ${user.profile} grants ${fromProfile.join(', ')}, which you do not hold`);
    for (const name of user.permissionSets) {
      const extra = beyond(await setPermissions(name));
      if (extra.length) refusals.push(`users[${i}] (${user.username}): the permission set ${name} grants ${extra.join(', ')}, which you do not hold`);
    }
  }
  for (const [i, app] of doc.apps.entries()) {
    const runAs = app.policies.runAs;
    if (!runAs) continue;
    const inDoc = doc.users.find((u) => u.username === runAs);
    let system: SystemPermission[];
    if (inDoc) system = [...(findProfile(inDoc.profile)?.system ?? []), ...(await Promise.all(inDoc.permissionSets.map(setPermissions))).flat()];
    else {
      const user = await findUserByUsername(db, runAs);
      system = user ? (await userAccess(db, user)).system : [];
    }
    const extra = beyond([...new Set(system)]);
    if (extra.length) refusals.push(`apps[${i}] (${app.apiName}) runs as ${runAs}, who holds ${extra.join(', ')}, which you do not`);
  }
  return refusals;
}
