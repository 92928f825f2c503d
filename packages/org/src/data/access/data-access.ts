import type { Kysely } from 'kysely';
import { findProfile, type ObjectPermission, type SharingDefault } from '../../identity/catalog.js';
import { userAccess } from '../../identity/users.js';
import type { EffectiveAccess } from '../../identity/access.js';
import type { OrgDatabase, UserTable } from '../../store/schema.js';
import type { FieldDef, ObjectDef } from '../schema/fields.js';

/** Which records of an object a user may see or change. */
export type RecordScope =
  | { kind: 'all' }
  | { kind: 'none' }
  | { kind: 'owners'; owners: string[] }
  | { kind: 'parent'; field: string; object: string; mode: 'read' | 'edit' }
  | { kind: 'files'; mode: 'read' | 'edit' };

export interface ObjectRights { read: boolean; create: boolean; edit: boolean; delete: boolean; viewAll: boolean; modifyAll: boolean }

interface SharingRule { ownedBy: string[]; sharedWith: string[]; access: 'Read' | 'Read/Write' }
interface ObjectSharing { default: SharingDefault; readOwners: string[]; editOwners: string[] }

/** What a profile gives on custom objects (profiles in the catalog list standard objects only). */
const PROFILE_CUSTOM_OBJECT_RIGHTS: Record<string, ObjectPermission[]> = {
  'System Administrator': ['Read', 'Create', 'Edit', 'Delete', 'ViewAll', 'ModifyAll'],
  'Standard User': ['Read', 'Create', 'Edit', 'Delete'],
};

/**
 * One user's access to data: object permissions, field-level security and the record scopes
 * that org-wide defaults, ownership and owner-based sharing rules give. Built from the identity
 * model; every data path asks this object and nothing else.
 */
export class DataAccess {
  private readonly rightsCache = new Map<string, ObjectRights>();

  constructor(
    readonly user: UserTable,
    readonly access: EffectiveAccess,
    private readonly sharing: ReadonlyMap<string, ObjectSharing>,
  ) {}

  get userId(): string {
    return this.user.id;
  }

  get apiEnabled(): boolean {
    return this.access.system.includes('ApiEnabled');
  }

  rights(object: ObjectDef): ObjectRights {
    const cached = this.rightsCache.get(object.name);
    if (cached) return cached;
    const perms = new Set<ObjectPermission>(this.access.objects[object.name] ?? []);
    if (object.custom) for (const p of PROFILE_CUSTOM_OBJECT_RIGHTS[this.access.profile] ?? []) perms.add(p);
    if (perms.has('ModifyAll')) ['ViewAll', 'Delete', 'Edit'].forEach((p) => perms.add(p as ObjectPermission));
    if (perms.has('Delete')) perms.add('Edit');
    if (perms.has('Edit') || perms.has('ViewAll') || perms.has('Create')) perms.add('Read');
    const rights: ObjectRights = {
      read: perms.has('Read') || object.everyoneReads === true,
      create: perms.has('Create') && object.writable,
      edit: perms.has('Edit') && object.writable,
      delete: perms.has('Delete') && object.writable,
      viewAll: perms.has('ViewAll'),
      modifyAll: perms.has('ModifyAll'),
    };
    this.rightsCache.set(object.name, rights);
    return rights;
  }

  private allFields(): boolean {
    return findProfile(this.access.profile)?.allFields === true;
  }

  /** Field-level security for reading. Fields outside FLS (system, required) follow the object. */
  canRead(object: ObjectDef, field: FieldDef): boolean {
    if (!this.rights(object).read) return false;
    if (!field.permissionable || this.allFields() || object.everyoneReads) return true;
    return (this.access.fields[`${object.name}.${field.name}`] ?? []).includes('Read');
  }

  /** FLS for writing, before the field's own createable/updateable. */
  canEdit(object: ObjectDef, field: FieldDef): boolean {
    if (!this.rights(object).read) return false;
    if (!field.permissionable) return true;
    if (this.allFields()) return this.rights(object).edit || this.rights(object).create;
    return (this.access.fields[`${object.name}.${field.name}`] ?? []).includes('Edit');
  }

  readableFields(object: ObjectDef): FieldDef[] {
    return object.fields.filter((f) => this.canRead(object, f));
  }

  readScope(object: ObjectDef): RecordScope {
    return this.scope(object, 'read');
  }

  editScope(object: ObjectDef): RecordScope {
    return this.scope(object, 'edit');
  }

  /** Deleting needs ownership (or Modify All): public read/write sharing lets others edit, never delete. */
  deleteScope(object: ObjectDef): RecordScope {
    const rights = this.rights(object);
    if (!rights.delete) return { kind: 'none' };
    if (rights.modifyAll) return { kind: 'all' };
    if (object.sharing.kind === 'owner') return { kind: 'owners', owners: [this.user.id] };
    return this.editScope(object);
  }

  /**
   * Which records the user may read or edit: the object permission first, View All / Modify All
   * over everything, then the object's sharing model. Owner-shared objects are open to everyone
   * above their org-wide default (Public Read Only opens reading, Public Read/Write both).
   */
  private scope(object: ObjectDef, mode: 'read' | 'edit'): RecordScope {
    const rights = this.rights(object);
    if (!(mode === 'read' ? rights.read : rights.edit)) return { kind: 'none' };
    if (mode === 'read' ? rights.viewAll : rights.modifyAll) return { kind: 'all' };
    switch (object.sharing.kind) {
      case 'public':
        return { kind: 'all' };
      case 'parent':
        return { kind: 'parent', field: object.sharing.field, object: object.sharing.object, mode };
      case 'files':
        return { kind: 'files', mode };
      case 'owner': {
        const sharing = this.sharing.get(object.name);
        const open = mode === 'read' ? sharing?.default !== 'Private' : sharing?.default === 'Public Read/Write';
        if (!sharing || open) return { kind: 'all' };
        return { kind: 'owners', owners: mode === 'read' ? sharing.readOwners : sharing.editOwners };
      }
    }
  }
}

/** Builds a user's DataAccess from the store: effective permissions and the sharing rules that reach them. */
export async function loadDataAccess(db: Kysely<OrgDatabase>, user: UserTable): Promise<DataAccess> {
  const access = await userAccess(db, user);
  const settings = await db.selectFrom('sharing_settings').selectAll().execute();
  const users = await db.selectFrom('users').select(['id', 'username']).execute();
  const idOf = new Map(users.map((u) => [u.username.toLowerCase(), u.id]));
  const sharing = new Map<string, ObjectSharing>();
  for (const setting of settings) {
    const rules = JSON.parse(setting.rules) as SharingRule[];
    const readOwners = new Set([user.id]);
    const editOwners = new Set([user.id]);
    for (const rule of rules) {
      if (!rule.sharedWith.some((u) => u.toLowerCase() === user.username.toLowerCase())) continue;
      for (const owner of rule.ownedBy) {
        const id = idOf.get(owner.toLowerCase());
        if (!id) continue;
        readOwners.add(id);
        if (rule.access === 'Read/Write') editOwners.add(id);
      }
    }
    sharing.set(setting.object_name, { default: setting.default_access as SharingDefault, readOwners: [...readOwners], editOwners: [...editOwners] });
  }
  return new DataAccess(user, access, sharing);
}
