import {
  findProfile,
  OBJECT_PERMISSIONS,
  STANDARD_OBJECTS,
  type FieldPermission,
  type ObjectPermission,
  type SystemPermission,
} from './catalog.js';

/** What one permission set (or profile) grants. Field keys are `Object.Field`. */
export interface Grants {
  objects: Record<string, ObjectPermission[]>;
  fields: Record<string, FieldPermission[]>;
  system: SystemPermission[];
}

export interface EffectiveAccess extends Grants {
  profile: string;
  apiOnly: boolean;
}

/**
 * Effective access is the union of the profile and every assigned permission set, as in
 * Salesforce. Implied permissions are added the way Setup adds them: Edit implies Read, Delete and
 * Modify All imply Edit, View All implies Read; a field's Edit implies its Read.
 */
export function effectiveAccess(profileName: string, permissionSets: readonly Grants[]): EffectiveAccess {
  const profile = findProfile(profileName);
  const objects = new Map<string, Set<ObjectPermission>>();
  const fields = new Map<string, Set<FieldPermission>>();
  const system = new Set<SystemPermission>(profile?.system ?? []);

  const addObject = (name: string, perms: readonly ObjectPermission[]) => {
    const set = objects.get(name) ?? new Set<ObjectPermission>();
    for (const p of perms) set.add(p);
    objects.set(name, set);
  };
  const addField = (key: string, perms: readonly FieldPermission[]) => {
    const set = fields.get(key) ?? new Set<FieldPermission>();
    for (const p of perms) set.add(p);
    fields.set(key, set);
  };

  if (profile) {
    for (const [name, perms] of Object.entries(profile.objects)) {
      addObject(name, perms ?? []);
      if (profile.allFields) {
        const canEdit = perms?.includes('Edit') ?? false;
        for (const field of STANDARD_OBJECTS[name] ?? []) addField(`${name}.${field}`, canEdit ? ['Read', 'Edit'] : ['Read']);
      }
    }
  }
  for (const set of permissionSets) {
    for (const [name, perms] of Object.entries(set.objects)) addObject(name, perms);
    for (const [key, perms] of Object.entries(set.fields)) addField(key, perms);
    for (const p of set.system) system.add(p);
  }

  for (const set of objects.values()) {
    if (set.has('ModifyAll')) ['ViewAll', 'Delete', 'Edit'].forEach((p) => set.add(p as ObjectPermission));
    if (set.has('Delete')) set.add('Edit');
    if (set.has('Edit') || set.has('ViewAll')) set.add('Read');
  }
  for (const set of fields.values()) if (set.has('Edit')) set.add('Read');

  const order = (perms: Set<ObjectPermission>) => OBJECT_PERMISSIONS.filter((p) => perms.has(p));
  return {
    profile: profile?.name ?? profileName,
    apiOnly: profile?.apiOnly === true || system.has('ApiUserOnly'),
    objects: Object.fromEntries([...objects.entries()].filter(([, s]) => s.size > 0).sort(([a], [b]) => a.localeCompare(b)).map(([k, s]) => [k, order(s)])),
    fields: Object.fromEntries([...fields.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, s]) => [k, (['Read', 'Edit'] as const).filter((p) => s.has(p))])),
    system: [...system].sort(),
  };
}

export function hasSystemPermission(access: EffectiveAccess, permission: SystemPermission): boolean {
  return access.system.includes(permission);
}
