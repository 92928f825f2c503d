import type { Kysely } from 'kysely';
import type { OrgDatabase } from '../../store/schema.js';
import { customField, customObject, type StoredObjectDefinition } from './custom-objects.js';
import { platformEventObject } from './platform-events.js';
import type { ChildRelationship, FieldDef, ObjectDef } from './fields.js';
import { STANDARD_OBJECT_DEFS } from './standard-objects.js';

/**
 * Every object the org knows, standard and custom, looked up case-insensitively as SOQL and the
 * REST API do. Rebuilt from the store after each setup apply.
 */
export class SchemaRegistry {
  private readonly byName = new Map<string, ObjectDef>();
  private readonly byPrefix = new Map<string, ObjectDef>();
  private readonly children = new Map<string, ChildRelationship[]>();
  private readonly fieldMaps = new Map<ObjectDef, Map<string, FieldDef>>();

  constructor(readonly objects: readonly ObjectDef[]) {
    for (const object of objects) {
      this.byName.set(object.name.toLowerCase(), object);
      this.byPrefix.set(object.keyPrefix, object);
      this.fieldMaps.set(object, new Map(object.fields.map((f) => [f.name.toLowerCase(), f])));
    }
    for (const object of objects) {
      for (const f of object.fields) {
        if (f.type !== 'reference' || !f.relationshipName || ['OwnerId', 'CreatedById', 'LastModifiedById'].includes(f.name)) continue;
        const target = f.referenceTo[0];
        if (!target) continue;
        const list = this.children.get(target.toLowerCase()) ?? [];
        // Salesforce names child relationships after the plural of the child (Contacts, OrderItems, Invoices__r).
        const relationshipName = object.custom || f.custom ? `${object.labelPlural.replace(/\W/g, '')}__r` : plural(object.name);
        list.push({ childSObject: object.name, field: f.name, relationshipName, cascadeDelete: f.cascadeDelete });
        this.children.set(target.toLowerCase(), list);
      }
    }
  }

  get(name: string): ObjectDef | undefined {
    return this.byName.get(name.toLowerCase());
  }

  byKeyPrefix(prefix: string): ObjectDef | undefined {
    return this.byPrefix.get(prefix);
  }

  field(object: ObjectDef, name: string): FieldDef | undefined {
    return this.fieldMaps.get(object)?.get(name.toLowerCase());
  }

  childRelationships(object: ObjectDef): ChildRelationship[] {
    return this.children.get(object.name.toLowerCase()) ?? [];
  }

  /** Reads custom objects and fields from the store and merges them with the standard objects. */
  static async load(db: Kysely<OrgDatabase>): Promise<SchemaRegistry> {
    const rows = await db.selectFrom('data_objects').selectAll().orderBy('name').execute();
    const stored = new Map(rows.map((r) => [r.name, { prefix: r.key_prefix, spec: JSON.parse(r.definition) as StoredObjectDefinition }]));
    const objects: ObjectDef[] = STANDARD_OBJECT_DEFS.map((object) => {
      const extra = stored.get(object.name);
      if (!extra) return object;
      return { ...object, fields: [...object.fields, ...Object.entries(extra.spec.fields).map(([name, spec]) => customField(name, spec))] };
    });
    for (const [name, { prefix, spec }] of stored) {
      if (name.endsWith('__c')) objects.push(customObject(name, prefix, spec));
      else if (name.endsWith('__e')) objects.push(platformEventObject(name, prefix, spec));
    }
    return new SchemaRegistry(objects);
  }
}

function plural(name: string): string {
  if (name === 'OpportunityLineItem') return 'OpportunityLineItems';
  if (name.endsWith('y')) return `${name.slice(0, -1)}ies`;
  return `${name}s`;
}
