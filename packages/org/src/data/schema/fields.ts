/**
 * The data model of the org's records: field types as Salesforce describes them, and the
 * definitions of objects and fields that every other part of the data API reads.
 */

export const FIELD_TYPES = [
  'id', 'string', 'textarea', 'boolean', 'int', 'double', 'currency', 'percent', 'date', 'datetime',
  'email', 'phone', 'url', 'picklist', 'multipicklist', 'reference', 'base64',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  /** Characters for text types; digits for numbers. */
  length: number;
  precision: number;
  scale: number;
  /** Not nillable and not defaulted: REQUIRED_FIELD_MISSING when absent on create. */
  required: boolean;
  nillable: boolean;
  /** Intrinsic writability (system and computed fields are neither); FLS narrows it per user. */
  createable: boolean;
  updateable: boolean;
  /** Subject to field-level security; system and required fields are not. */
  permissionable: boolean;
  custom: boolean;
  referenceTo: string[];
  relationshipName: string | null;
  picklistValues: string[];
  restrictedPicklist: boolean;
  externalId: boolean;
  unique: boolean;
  nameField: boolean;
  /** An index backs filters on it (Id, Name, owner, lookups, external ids, unique fields, audit dates). */
  indexed: boolean;
  defaultValue: string | number | boolean | null;
  /** Which parent deletes take this record with them (master-detail). */
  cascadeDelete: boolean;
}

/** How an object's records are shared. */
export type SharingModel =
  | { kind: 'owner' }
  /** Access follows the parent record named by this lookup (order items, line items). */
  | { kind: 'parent'; field: string; object: string }
  /** Everyone with object access sees every record (price book entries, users). */
  | { kind: 'public' }
  /** Files: the owner, and whoever can read a record the file is linked to. */
  | { kind: 'files' };

export interface ObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  custom: boolean;
  fields: FieldDef[];
  sharing: SharingModel;
  /** Can the API create/update/delete its records at all (User is managed through setup). */
  writable: boolean;
  /** Every user reads its records and fields, with no object permission (Salesforce's User and Organization). */
  everyoneReads?: true;
  /** A platform event (`Name__e`): a create publishes it to `/event/Name__e`; nothing is stored to read back. */
  platformEvent?: true;
}

export interface ChildRelationship { childSObject: string; field: string; relationshipName: string; cascadeDelete: boolean }

type FieldOptions = Partial<Omit<FieldDef, 'name' | 'type'>>;

export function field(name: string, type: FieldType, options: FieldOptions = {}): FieldDef {
  const text = ['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist'].includes(type);
  const required = options.required ?? false;
  const system = options.createable === false && options.updateable === false;
  return {
    label: options.label ?? name.replace(/__c$/, '').replace(/Id$/, '').replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2'),
    length: options.length ?? (text ? (type === 'textarea' ? 32000 : 255) : type === 'id' || type === 'reference' ? 18 : 0),
    precision: options.precision ?? (['double', 'currency', 'percent'].includes(type) ? 18 : 0),
    scale: options.scale ?? (type === 'currency' ? 2 : 0),
    nillable: !required && type !== 'boolean' && type !== 'id',
    createable: true,
    updateable: true,
    permissionable: !required && !system,
    custom: name.endsWith('__c'),
    referenceTo: [],
    relationshipName: null,
    picklistValues: [],
    restrictedPicklist: false,
    externalId: false,
    unique: false,
    nameField: false,
    indexed: false,
    defaultValue: type === 'boolean' ? false : null,
    cascadeDelete: false,
    ...options,
    required,
    name,
    type,
  };
}

/** A lookup: `AccountId` → relationship `Account`, `Parent__c` → `Parent__r`. */
export function lookup(name: string, target: string, options: FieldOptions = {}): FieldDef {
  const relationshipName = name.endsWith('__c') ? name.replace(/__c$/, '__r') : name.replace(/Id$/, '');
  return field(name, 'reference', { referenceTo: [target], relationshipName, indexed: true, ...options });
}

export function picklist(name: string, values: string[], options: FieldOptions = {}): FieldDef {
  return field(name, 'picklist', { picklistValues: values, ...options });
}

const readOnly = { createable: false, updateable: false } as const;

const UNOWNED = new Set(['User', 'Organization']);

/** The fields every object has; User and Organization have no owner. */
export function systemFields(objectName: string): FieldDef[] {
  return [
    field('Id', 'id', { ...readOnly, label: `${objectName} ID`, indexed: true }),
    ...(UNOWNED.has(objectName) ? [] : [lookup('OwnerId', 'User', { label: 'Owner ID', relationshipName: 'Owner', permissionable: false })]),
    field('IsDeleted', 'boolean', { ...readOnly, label: 'Deleted' }),
    field('CreatedDate', 'datetime', { ...readOnly, indexed: true }),
    lookup('CreatedById', 'User', { ...readOnly, relationshipName: 'CreatedBy', label: 'Created By ID' }),
    field('LastModifiedDate', 'datetime', { ...readOnly, indexed: true }),
    lookup('LastModifiedById', 'User', { ...readOnly, relationshipName: 'LastModifiedBy', label: 'Last Modified By ID' }),
    field('SystemModstamp', 'datetime', { ...readOnly, label: 'System Modstamp', indexed: true }),
  ];
}

export function fieldByName(object: ObjectDef, name: string): FieldDef | undefined {
  const lower = name.toLowerCase();
  return object.fields.find((f) => f.name.toLowerCase() === lower);
}

export const SYSTEM_FIELD_NAMES = new Set(['Id', 'OwnerId', 'IsDeleted', 'CreatedDate', 'CreatedById', 'LastModifiedDate', 'LastModifiedById', 'SystemModstamp']);
