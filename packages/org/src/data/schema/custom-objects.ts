import { createHash } from 'node:crypto';
import type { CustomFieldSpec, CustomObjectSpec } from '../../setup/schema.js';
import { field, lookup, systemFields, type FieldDef, type FieldType, type ObjectDef } from './fields.js';

/** What is stored per object in `data_objects`: a custom object, or custom fields on a standard one. */
export interface StoredObjectDefinition {
  label?: string | undefined;
  pluralLabel?: string | undefined;
  fields: Record<string, CustomFieldSpec>;
}

const TYPE_OF: Record<CustomFieldSpec['type'], FieldType> = {
  text: 'string', textarea: 'textarea', number: 'double', currency: 'currency', percent: 'percent', checkbox: 'boolean',
  date: 'date', datetime: 'datetime', email: 'email', phone: 'phone', url: 'url', picklist: 'picklist', multipicklist: 'multipicklist', lookup: 'reference',
};

export function customField(name: string, spec: CustomFieldSpec): FieldDef {
  const common = {
    ...(spec.label ? { label: spec.label } : {}),
    required: spec.required,
    externalId: spec.externalId,
    unique: spec.unique,
    indexed: spec.externalId || spec.unique,
    custom: true,
  };
  if (spec.type === 'lookup') {
    return lookup(name, spec.referenceTo ?? '', { ...common, ...(spec.relationshipName ? { relationshipName: spec.relationshipName } : {}) });
  }
  const type = TYPE_OF[spec.type];
  const numeric = type === 'double' || type === 'currency' || type === 'percent';
  return field(name, type, {
    ...common,
    ...(spec.length !== undefined ? { length: spec.length } : {}),
    ...(numeric ? { precision: spec.precision ?? 18, scale: spec.scale ?? (type === 'currency' ? 2 : 0) } : {}),
    picklistValues: spec.values ?? [],
    restrictedPicklist: spec.values !== undefined && spec.restricted,
    defaultValue: spec.default ?? (type === 'boolean' ? false : null),
  });
}

/**
 * Custom objects get key prefixes a00–azz from their name, so the same setup gives the same ids'
 * prefixes everywhere; a collision moves on to the next free prefix.
 */
export function customKeyPrefix(name: string, taken: ReadonlySet<string>): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let n = createHash('sha256').update(name).digest().readUInt16BE(0) % (alphabet.length * alphabet.length);
  for (;;) {
    const prefix = `a${alphabet[Math.floor(n / alphabet.length)]}${alphabet[n % alphabet.length]}`;
    if (!taken.has(prefix) && prefix !== 'a00') return prefix;
    n = (n + 1) % (alphabet.length * alphabet.length);
  }
}

export function customObject(name: string, keyPrefix: string, spec: StoredObjectDefinition): ObjectDef {
  const label = spec.label ?? name.replace(/__c$/, '').replace(/_/g, ' ');
  return {
    name,
    label,
    labelPlural: spec.pluralLabel ?? `${label}s`,
    keyPrefix,
    custom: true,
    fields: [
      ...systemFields(name),
      field('Name', 'string', { length: 80, label: `${label} Name`, nameField: true, indexed: true, permissionable: false }),
      ...Object.entries(spec.fields).map(([fieldName, f]) => customField(fieldName, f)),
    ],
    sharing: { kind: 'owner' },
    writable: true,
  };
}

export type { CustomObjectSpec };
