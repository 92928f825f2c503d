import { isValidSalesforceId, idChecksum } from '../../ids/salesforce-id.js';
import { recordError, type RecordError } from '../data-error.js';
import type { FieldDef } from '../schema/fields.js';

export type StoredValue = string | number | null;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The 18-character form of a 15- or 18-character id, or undefined if it is not an id. */
export function normalizeId(value: string): string | undefined {
  if (!isValidSalesforceId(value)) return undefined;
  return value.length === 15 ? value + idChecksum(value) : value.slice(0, 15) + idChecksum(value.slice(0, 15));
}

/** Salesforce's JSON deserializer message for a value of the wrong JSON type. */
function cannotDeserialize(f: FieldDef, value: unknown, javaType: string): RecordError {
  const token = typeof value === 'string' ? 'VALUE_STRING' : typeof value === 'number' ? 'VALUE_NUMBER_INT' : typeof value === 'boolean' ? `VALUE_${String(value).toUpperCase()}` : 'START_OBJECT';
  return recordError('JSON_PARSER_ERROR', `Cannot deserialize instance of ${javaType} from ${token} value ${typeof value === 'object' ? JSON.stringify(value) : String(value)} or request may be missing a required field`, [f.name]);
}

export function isoDateTime(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) return undefined;
  const normalized = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const t = Date.parse(/T/.test(normalized) && !/(Z|[+-]\d{2}:\d{2})$/.test(normalized) ? `${normalized}Z` : normalized);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

function validDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(value);
}

/** Turns a JSON value into what the field's column holds, or says why it cannot. */
export function toStored(f: FieldDef, value: unknown): { ok: true; value: StoredValue } | { ok: false; error: RecordError } {
  if (value === null || value === undefined) return { ok: true, value: null };
  switch (f.type) {
    case 'boolean':
      if (typeof value === 'boolean') return { ok: true, value: value ? 1 : 0 };
      if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' ? 1 : 0 };
      return { ok: false, error: cannotDeserialize(f, value, 'boolean') };
    case 'int':
    case 'double':
    case 'currency':
    case 'percent': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n)) return { ok: false, error: cannotDeserialize(f, value, f.type === 'int' ? 'int' : 'double') };
      if (f.type === 'int' && !Number.isInteger(n)) return { ok: false, error: cannotDeserialize(f, value, 'int') };
      const digits = Math.trunc(Math.abs(n)).toString().length;
      if (f.precision > 0 && digits > f.precision - f.scale) return { ok: false, error: recordError('NUMBER_OUTSIDE_VALID_RANGE', `${f.label}: value outside of valid range on numeric field: ${n}`, [f.name]) };
      return { ok: true, value: f.scale > 0 ? Number(n.toFixed(f.scale)) : n };
    }
    case 'date': {
      if (typeof value !== 'string') return { ok: false, error: cannotDeserialize(f, value, 'date') };
      const date = value.slice(0, 10);
      if (!validDate(date) || (value.length > 10 && !isoDateTime(value))) return { ok: false, error: cannotDeserialize(f, value, 'date') };
      return { ok: true, value: date };
    }
    case 'datetime': {
      const iso = typeof value === 'string' ? isoDateTime(value) : undefined;
      if (!iso) return { ok: false, error: cannotDeserialize(f, value, 'datetime') };
      return { ok: true, value: iso };
    }
    case 'id':
    case 'reference': {
      if (typeof value !== 'string') return { ok: false, error: cannotDeserialize(f, value, 'id') };
      if (value === '') return { ok: true, value: null };
      const id = normalizeId(value);
      if (!id) return { ok: false, error: recordError('MALFORMED_ID', `${f.label}: id value of incorrect type: ${value}`, [f.name]) };
      return { ok: true, value: id };
    }
    case 'multipicklist': {
      const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(';') : null;
      if (!list || list.some((v) => typeof v !== 'string')) return { ok: false, error: cannotDeserialize(f, value, 'String') };
      const values = [...new Set((list as string[]).map((v) => v.trim()).filter(Boolean))];
      const bad = f.restrictedPicklist ? values.find((v) => !f.picklistValues.includes(v)) : undefined;
      if (bad !== undefined) return { ok: false, error: recordError('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${f.label}: bad value for restricted picklist field: ${bad}`, [f.name]) };
      return { ok: true, value: values.length ? values.join(';') : null };
    }
    default: {
      if (typeof value === 'object') return { ok: false, error: cannotDeserialize(f, value, 'String') };
      const text = String(value);
      if (text === '') return { ok: true, value: null };
      // PostgreSQL text cannot hold U+0000; refused on every store, so both behave alike.
      if (text.includes('\u0000')) return { ok: false, error: recordError('INVALID_TYPE_ON_FIELD_IN_RECORD', `${f.label}: value contains a NUL character (U+0000), which text fields cannot hold`, [f.name]) };
      if (f.type !== 'base64' && text.length > f.length) return { ok: false, error: recordError('STRING_TOO_LONG', `${f.label}: data value too large: ${text.length > 40 ? `${text.slice(0, 40)}…` : text} (max length=${f.length})`, [f.name]) };
      if (f.type === 'email' && !EMAIL.test(text)) return { ok: false, error: recordError('INVALID_EMAIL_ADDRESS', `${f.label}: invalid email address: ${text}`, [f.name]) };
      if (f.type === 'picklist' && f.restrictedPicklist && !f.picklistValues.includes(text)) return { ok: false, error: recordError('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${f.label}: bad value for restricted picklist field: ${text}`, [f.name]) };
      return { ok: true, value: text };
    }
  }
}

/** A stored value as the REST API shows it. */
export function toApi(f: FieldDef, value: unknown): unknown {
  if (value === null || value === undefined) return f.type === 'boolean' ? false : null;
  switch (f.type) {
    case 'boolean':
      return value === 1 || value === true || value === '1';
    case 'int':
    case 'double':
    case 'currency':
    case 'percent':
      return typeof value === 'number' ? value : Number(value);
    case 'datetime':
      return String(value).replace(/Z$/, '+0000');
    default:
      return value;
  }
}

export function recordUrl(version: string, object: { name: string }, id: string): string {
  return `/services/data/${version}/sobjects/${object.name}/${id}`;
}

/** A record's field as the REST API shows it; binary fields as the URL their bytes download from, never inline. */
export function fieldJson(version: string, object: { name: string }, id: string, f: FieldDef, stored: unknown): unknown {
  if (f.type !== 'base64') return toApi(f, stored);
  return stored === null || stored === undefined ? null : `${recordUrl(version, object, id)}/${f.name}`;
}
