import { SYSTEM_FIELD_NAMES } from '../data/schema/fields.js';
import { STANDARD_OBJECT_DEFS } from '../data/schema/standard-objects.js';

/**
 * The fixed vocabulary of the org's identity model: licences, profiles, permission set licences,
 * permissions and the standard objects they apply to. Names are Salesforce's.
 */

export const LICENCES = ['Salesforce', 'Salesforce Integration'] as const;
export type Licence = (typeof LICENCES)[number];

export const PERMISSION_SET_LICENCES = ['Salesforce API Integration'] as const;
export type PermissionSetLicence = (typeof PERMISSION_SET_LICENCES)[number];

export const SYSTEM_PERMISSIONS = [
  'ApiEnabled',
  'ApiUserOnly',
  'ManageUsers',
  'ViewSetup',
  'ExternalClientAppDeveloper',
  'ViewClientSecret',
  'BulkApiHardDelete',
] as const;
export type SystemPermission = (typeof SYSTEM_PERMISSIONS)[number];

export const SYSTEM_PERMISSION_LABELS: Record<SystemPermission, string> = {
  ApiEnabled: 'API Enabled',
  ApiUserOnly: 'API Only User',
  ManageUsers: 'Manage Users',
  ViewSetup: 'View Setup and Configuration',
  ExternalClientAppDeveloper: 'External Client App Developer',
  BulkApiHardDelete: 'Bulk API Hard Delete',
  ViewClientSecret: 'View Client Secret',
};

export const OBJECT_PERMISSIONS = ['Read', 'Create', 'Edit', 'Delete', 'ViewAll', 'ModifyAll'] as const;
export type ObjectPermission = (typeof OBJECT_PERMISSIONS)[number];

export const FIELD_PERMISSIONS = ['Read', 'Edit'] as const;
export type FieldPermission = (typeof FIELD_PERMISSIONS)[number];

export const SHARING_DEFAULTS = ['Private', 'Public Read Only', 'Public Read/Write'] as const;
export type SharingDefault = (typeof SHARING_DEFAULTS)[number];

/** Standard objects and the fields field-level security can name (system fields are always readable). */
export const STANDARD_OBJECTS: Record<string, readonly string[]> = Object.fromEntries(
  STANDARD_OBJECT_DEFS.map((o) => [o.name, o.fields.filter((f) => !SYSTEM_FIELD_NAMES.has(f.name)).map((f) => f.name)]),
);

/** Objects whose records belong to nobody in particular and are not shared by owner (sharing settings do not apply). */
export const OBJECTS_WITHOUT_SHARING = new Set(['User', 'OpportunityLineItem', 'OrderItem', 'PricebookEntry', 'ContentVersion', 'ContentDocument', 'ContentDocumentLink']);

export interface ProfileDefinition {
  name: string;
  licences: readonly Licence[];
  apiOnly: boolean;
  objects: Partial<Record<string, readonly ObjectPermission[]>>;
  /** Every field of every object the profile can read is readable/editable as its object permissions allow. */
  allFields: boolean;
  system: readonly SystemPermission[];
}

const allObjects = (perms: readonly ObjectPermission[]) => Object.fromEntries(Object.keys(STANDARD_OBJECTS).map((o) => [o, perms]));

export const PROFILES: readonly ProfileDefinition[] = [
  {
    name: 'System Administrator',
    licences: ['Salesforce'],
    apiOnly: false,
    objects: allObjects(OBJECT_PERMISSIONS),
    allFields: true,
    system: ['ApiEnabled', 'ManageUsers', 'ViewSetup', 'ExternalClientAppDeveloper', 'ViewClientSecret'],
  },
  {
    name: 'Standard User',
    licences: ['Salesforce'],
    apiOnly: false,
    objects: { ...allObjects(['Read', 'Create', 'Edit', 'Delete']), User: ['Read'] },
    allFields: true,
    system: ['ApiEnabled'],
  },
  {
    name: 'Minimum Access - API Only Integrations',
    licences: ['Salesforce Integration', 'Salesforce'],
    apiOnly: true,
    objects: {},
    allFields: false,
    system: ['ApiEnabled', 'ApiUserOnly'],
  },
];

/** Salesforce writes the profile name with an en dash; accept both spellings. */
export function findProfile(name: string): ProfileDefinition | undefined {
  const normal = name.replace(/\u2013|\u2014/g, '-');
  return PROFILES.find((p) => p.name === normal);
}

export function isKnownObject(name: string, customObjects: ReadonlySet<string> = new Set()): boolean {
  return name in STANDARD_OBJECTS || customObjects.has(name);
}
