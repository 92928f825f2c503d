import type { StoredObjectDefinition } from './custom-objects.js';
import { customField } from './custom-objects.js';
import { field, lookup, type ObjectDef } from './fields.js';

const readOnly = { createable: false, updateable: false, permissionable: false } as const;

/**
 * A platform event (`Name__e`) as describe shows it: Salesforce's four system fields and the custom
 * fields the setup gives it. No Id, owner or sharing: an event is published, not stored as a record.
 */
export function platformEventObject(name: string, keyPrefix: string, spec: StoredObjectDefinition): ObjectDef {
  const label = spec.label ?? name.replace(/__e$/, '').replace(/_/g, ' ');
  return {
    name,
    label,
    labelPlural: spec.pluralLabel ?? `${label}s`,
    keyPrefix,
    custom: true,
    fields: [
      field('ReplayId', 'string', { ...readOnly, label: 'Replay ID' }),
      field('CreatedDate', 'datetime', { ...readOnly, label: 'Created Date' }),
      lookup('CreatedById', 'User', { ...readOnly, relationshipName: 'CreatedBy', label: 'Created By ID' }),
      field('EventUuid', 'string', { ...readOnly, length: 36, label: 'Event UUID' }),
      ...Object.entries(spec.fields).map(([fieldName, f]) => customField(fieldName, f)),
    ],
    sharing: { kind: 'public' },
    writable: true,
    platformEvent: true,
  };
}
