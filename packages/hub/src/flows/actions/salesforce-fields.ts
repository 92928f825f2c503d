import { didYouMean } from '../did-you-mean.js';
import type { FieldMapping } from '../definition.js';
import type { SaveCheck } from './action-kind.js';

export interface DescribeField {
  name: string; type: string; createable: boolean; updateable: boolean; externalId: boolean; idLookup: boolean; nillable: boolean; defaultedOnCreate: boolean;
  length?: number; restrictedPicklist?: boolean; picklistValues?: { value: string; active: boolean }[];
}
export interface Describe { name: string; fields: DescribeField[]; childRelationships: { relationshipName: string | null }[] }

const NUMERIC = ['int', 'double', 'currency', 'percent'];
const TEXT = ['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist', 'id', 'reference', 'combobox'];

/** Whether a mapping's declared or constant type fits a Salesforce field type; a reason if not. */
function salesforceTypeProblem(spec: FieldMapping, field: DescribeField): string | undefined {
  const conversion = 'type' in spec ? spec.type : undefined;
  const constant = 'const' in spec ? spec.const : undefined;
  const fits = (kind: string) => {
    switch (kind) {
      case 'number': case 'integer': return NUMERIC.includes(field.type) || TEXT.includes(field.type);
      case 'boolean': return field.type === 'boolean';
      case 'date': return field.type === 'date' || field.type === 'datetime';
      case 'datetime': return field.type === 'datetime';
      default: return true;
    }
  };
  if (conversion && !fits(conversion)) return `maps a ${conversion} into ${field.name}, a ${field.type} field`;
  if (constant !== undefined && constant !== null) {
    if (typeof constant === 'number' && !fits('number')) return `maps the number ${constant} into ${field.name}, a ${field.type} field`;
    if (typeof constant === 'boolean' && field.type !== 'boolean') return `maps ${constant} into ${field.name}, a ${field.type} field`;
    if (typeof constant === 'string' && (NUMERIC.includes(field.type) && !Number.isFinite(Number(constant)))) return `maps the text "${constant}" into ${field.name}, a ${field.type} field`;
    if (typeof constant === 'string' && field.type === 'boolean' && !['true', 'false'].includes(constant)) return `maps the text "${constant}" into ${field.name}, a boolean field`;
    // What Salesforce would refuse on every event (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST, STRING_TOO_LONG), refused once, now.
    const text = String(constant);
    const values = (field.picklistValues ?? []).filter((p) => p.active).map((p) => p.value);
    if (field.restrictedPicklist && (field.type === 'picklist' || field.type === 'multipicklist')) {
      const bad = (field.type === 'multipicklist' ? text.split(';') : [text]).find((v) => !values.includes(v));
      if (bad !== undefined) return `"${bad}" is not a value of the restricted picklist ${field.name}${didYouMean(bad, values)}; its values: ${values.join(', ')}`;
    }
    if (TEXT.includes(field.type) && field.length && text.length > field.length) return `the text for ${field.name} is ${text.length} characters; the field holds ${field.length}`;
  }
  return undefined;
}

export interface RecordWrite {
  kind: 'salesforce.create' | 'salesforce.update' | 'salesforce.upsert';
  connection: string;
  object: string;
  externalIdField?: string | undefined;
  mapping: Record<string, FieldMapping>;
}

/**
 * The save-time checks of a write to Salesforce records (one record, or a Collections list): every
 * mapped field exists for the connection's user (a field hidden by field-level security is
 * unknown, as in Salesforce) and is writable, types fit, required fields are mapped, and an upsert
 * names an external id it sets.
 */
export async function checkRecordWrite(v: SaveCheck, write: RecordWrite, at: PropertyKey[], mappingPath: PropertyKey[]): Promise<void> {
  v.mapping(mappingPath, write.mapping);
  if (!(await v.salesforceConnection([...at, 'connection'], write.connection))) return;
  const d = await v.describe(write.connection, write.object);
  if (typeof d === 'string') {
    v.problem([...at, 'object'], d);
    return;
  }
  const fieldOf = (name: string) => d.fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
  if (write.kind === 'salesforce.upsert') {
    const ext = write.externalIdField ? fieldOf(write.externalIdField) : undefined;
    if (!write.externalIdField) v.problem([...at], 'an upsert needs externalIdField');
    else if (!ext || !(ext.externalId || ext.idLookup)) v.problem([...at, 'externalIdField'], `${write.externalIdField} is not an external id field of ${write.object} (or the user cannot read it)`);
    else if (!(write.externalIdField in write.mapping)) v.problem(mappingPath, `the mapping must set the external id ${write.externalIdField}`);
  }
  for (const [target, spec] of Object.entries(write.mapping)) {
    if (write.kind === 'salesforce.update' && target === 'Id') continue;
    const field = fieldOf(target);
    if (!field) {
      v.problem([...mappingPath, target], `unknown field ${target} on ${write.object}${didYouMean(target, d.fields.map((f) => f.name))} (it does not exist, or field-level security hides it from the connection's user)`);
      continue;
    }
    const writable = write.kind === 'salesforce.create' ? field.createable : write.kind === 'salesforce.update' ? field.updateable : field.createable || field.updateable;
    if (!writable) v.problem([...mappingPath, target], `${write.object}.${target} is not writable for the connection's user (read-only field or field-level security)`);
    const typeProblem = salesforceTypeProblem(spec, field);
    if (typeProblem) v.problem([...mappingPath, target], typeProblem);
  }
  if (write.kind !== 'salesforce.update') {
    const missing = d.fields.filter((f) => f.createable && !f.nillable && !f.defaultedOnCreate && f.type !== 'boolean' && !Object.keys(write.mapping).some((t) => t.toLowerCase() === f.name.toLowerCase()));
    if (missing.length) v.problem(mappingPath, `required fields of ${write.object} are not mapped: ${missing.map((f) => f.name).join(', ')}`);
  }
}
