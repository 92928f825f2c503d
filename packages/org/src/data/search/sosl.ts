import type { DataAccess } from '../access/data-access.js';
import { queryError } from '../data-error.js';
import type { FieldDef, ObjectDef } from '../schema/fields.js';
import type { DataService } from '../service.js';
import { runQuery } from '../soql/run.js';

/**
 * SOSL, the subset clients send: FIND {terms} [IN scope FIELDS] [RETURNING Obj[(fields [WHERE …]
 * [ORDER BY …] [LIMIT n] [OFFSET n])], …] [LIMIT n]. Each object's part runs as SOQL through the
 * caller's access, so object, field and record access hold exactly as they do for queries; a term
 * matches a whole word of a searchable field, `*` and `?` as wildcards.
 */
const MAX_LIMIT = 2000;
const SCOPES: Record<string, (f: FieldDef) => boolean> = {
  ALL: (f) => ['string', 'textarea', 'email', 'phone', 'url', 'picklist'].includes(f.type),
  SIDEBAR: (f) => ['string', 'email', 'phone'].includes(f.type),
  NAME: (f) => f.nameField,
  EMAIL: (f) => f.type === 'email',
  PHONE: (f) => f.type === 'phone',
};

interface Returning { object: string; fields: string; rest: string; limit?: number }
interface Parsed { terms: Term; scope: string; returning: Returning[] | undefined; limit: number }
type Term = { word: string } | { op: 'AND' | 'OR' | 'AND NOT'; left: Term; right: Term };

const malformed = (sosl: string, message: string, near?: string) => queryError('MALFORMED_SEARCH', sosl, message, near);

/** The search braces' text as terms: words and "phrases", joined by AND, OR, AND NOT (AND when none is written). */
function parseTerms(sosl: string, text: string): Term {
  const tokens = [...text.matchAll(/"((?:\\.|[^"\\])*)"|((?:\\.|[^\s"\\])+)/g)].map((m) => (m[1] !== undefined ? { word: m[1].replace(/\\(.)/g, '$1'), quoted: true } : { word: m[2]!.replace(/\\(.)/g, '$1'), quoted: false }));
  let term: Term | undefined;
  let op: 'AND' | 'OR' | 'AND NOT' = 'AND';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const upper = t.quoted ? '' : t.word.toUpperCase();
    if (upper === 'AND' && tokens[i + 1]?.word.toUpperCase() === 'NOT') { op = 'AND NOT'; i++; continue; }
    if (upper === 'AND' || upper === 'OR') { op = upper; continue; }
    if (t.word.replace(/[*?]/g, '').length < 2) throw queryError('INVALID_SEARCH', sosl, 'search term must be longer than one character', t.word);
    const next: Term = { word: t.word };
    term = term ? { op, left: term, right: next } : next;
    op = 'AND';
  }
  if (!term) throw queryError('INVALID_SEARCH', sosl, 'search term must be longer than one character');
  return term;
}

/** Splits on commas outside parentheses and quotes. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') { i++; continue; }
    if (ch === "'") quoted = !quoted;
    if (quoted) continue;
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { parts.push(text.slice(start, i)); start = i + 1; }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

/** Where the first of these keywords stands outside quotes, or -1. */
function keywordAt(text: string, keyword: RegExp): number {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') { i++; continue; }
    if (text[i] === "'") quoted = !quoted;
    if (!quoted && keyword.test(text.slice(i)) && /\s/.test(text[i - 1] ?? ' ')) return i;
  }
  return -1;
}

export function parseSosl(sosl: string): Parsed {
  if (sosl.includes('\u0000')) throw malformed(sosl, 'The search contains a NUL character (U+0000).');
  const find = /^\s*FIND\s*\{((?:\\.|[^}\\])*)\}/i.exec(sosl);
  if (!find) throw malformed(sosl, /^\s*FIND\b/i.test(sosl) ? "mismatched character: the search text goes between { and }" : 'unexpected token: a search starts with FIND {text}', sosl.trim().split(/\s+/)[0]);
  const terms = parseTerms(sosl, find[1]!);
  let rest = sosl.slice(find[0].length).trim();
  let scope = 'ALL';
  const inScope = /^IN\s+(\w+)\s+FIELDS\b/i.exec(rest);
  if (inScope) {
    scope = inScope[1]!.toUpperCase();
    if (!SCOPES[scope]) throw malformed(sosl, `Malformed search token: ${inScope[1]}`, inScope[1]);
    rest = rest.slice(inScope[0].length).trim();
  }
  let limit = MAX_LIMIT;
  const overall = keywordAt(rest, /^LIMIT\s+\d+\s*$/i);
  if (overall >= 0) {
    limit = Math.min(MAX_LIMIT, Number(/\d+/.exec(rest.slice(overall))![0]));
    rest = rest.slice(0, overall).trim();
  }
  let returning: Returning[] | undefined;
  const ret = /^RETURNING\s+/i.exec(rest);
  if (ret) {
    returning = splitTop(rest.slice(ret[0].length)).map((part) => {
      const m = /^(\w+)\s*(?:\((.*)\))?$/s.exec(part);
      if (!m) throw malformed(sosl, `unexpected token: '${part.split(/\s/)[0]}'`, part);
      const inner = (m[2] ?? '').trim();
      const clause = keywordAt(inner, /^(WHERE|ORDER\s+BY|LIMIT|OFFSET)\b/i);
      const fields = (clause >= 0 ? inner.slice(0, clause) : inner).trim();
      const tail = clause >= 0 ? inner.slice(clause).trim() : '';
      return { object: m[1]!, fields: fields || 'Id', rest: tail };
    });
    rest = '';
  }
  if (rest) throw malformed(sosl, `unexpected token: '${rest.split(/\s/)[0]}'`, rest.split(/\s/)[0]);
  return { terms, scope, returning, limit };
}

const soqlString = (text: string) => text.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
/** A word as LIKE patterns matching a whole word of the value (`*` and `?` as wildcards within it). */
function likes(word: string): string[] {
  const pattern = soqlString(word).replace(/%/g, '\\%').replace(/_/g, '\\_').replace(/\*/g, '%').replace(/\?/g, '_');
  return [`'${pattern}'`, `'${pattern} %'`, `'% ${pattern}'`, `'% ${pattern} %'`];
}

/**
 * The terms as one SOQL condition. A run of the same operator is written flat (`a OR b OR c`), not
 * nested a level per term: the SOQL parser refuses conditions nested more than a few levels deep.
 */
function condition(term: Term, fields: FieldDef[]): string {
  if ('word' in term) return `(${fields.flatMap((f) => likes(term.word).map((p) => `${f.name} LIKE ${p}`)).join(' OR ')})`;
  if (term.op === 'AND NOT') return `(${condition(term.left, fields)} AND NOT ${condition(term.right, fields)})`;
  const operands: Term[] = [];
  const collect = (t: Term): void => {
    if ('op' in t && t.op === term.op) {
      collect(t.left);
      collect(t.right);
    } else operands.push(t);
  };
  collect(term);
  return `(${operands.map((t) => condition(t, fields)).join(` ${term.op} `)})`;
}

/** Runs a search for a user: `{searchRecords: [...]}` with each record's attributes, as API 36.0 and later answer. */
export async function search(service: DataService, access: DataAccess, sosl: string, version: string): Promise<{ searchRecords: unknown[] }> {
  return runSearch(service, access, parseSosl(sosl), sosl, version);
}

export interface ParameterizedSearch {
  q: string;
  in?: string;
  fields?: string[];
  sobjects?: { name: string; fields?: string[]; where?: string; limit?: number }[];
  overallLimit?: number;
  defaultLimit?: number;
}

/**
 * parameterizedSearch (GET parameters or a POST body): the same search without SOSL syntax, `q` as
 * the search text; each object's fields, WHERE and LIMIT given apart, checked and run as SOSL is.
 */
export async function parameterizedSearch(service: DataService, access: DataAccess, input: ParameterizedSearch, version: string): Promise<{ searchRecords: unknown[] }> {
  const text = `parameterizedSearch q=${input.q}`;
  const scope = (input.in ?? 'ALL').toUpperCase();
  if (!SCOPES[scope]) throw malformed(text, `Malformed search token: ${input.in}`, input.in);
  const limit = (n: unknown, name: string) => {
    if (n === undefined) return undefined;
    if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > MAX_LIMIT) throw malformed(text, `${name}: a whole number from 1 to ${MAX_LIMIT}`);
    return n as number;
  };
  const defaultLimit = limit(input.defaultLimit, 'defaultLimit');
  const returning = !input.sobjects?.length ? undefined : input.sobjects.map((o, i): Returning => {
    const rowLimit = limit(o.limit, `sobjects[${i}].limit`) ?? defaultLimit;
    return { object: o.name, fields: (o.fields ?? input.fields ?? ['Id']).join(', '), rest: `${o.where ? `WHERE ${o.where} ` : ''}${rowLimit ? `LIMIT ${rowLimit}` : ''}`.trim() };
  });
  return runSearch(service, access, { terms: parseTerms(text, input.q), scope, returning, limit: limit(input.overallLimit, 'overallLimit') ?? MAX_LIMIT }, text, version);
}

async function runSearch(service: DataService, access: DataAccess, parsed: Parsed, sosl: string, version: string): Promise<{ searchRecords: unknown[] }> {
  const targets: { object: ObjectDef; spec: Returning }[] = [];
  if (parsed.returning) {
    for (const spec of parsed.returning) {
      const object = service.schema.get(spec.object);
      // An object the user cannot read is reported like one that does not exist.
      if (!object || !access.rights(object).read || object.platformEvent) throw queryError('INVALID_TYPE', sosl, `sObject type '${spec.object}' is not supported.`, spec.object);
      targets.push({ object, spec });
    }
  } else {
    // Platform events are not stored, so there is nothing of theirs to search.
    for (const object of service.schema.objects) if (access.rights(object).read && object.name !== 'Organization' && !object.platformEvent) targets.push({ object, spec: { object: object.name, fields: 'Id', rest: '' } });
  }
  const records: unknown[] = [];
  for (const { object, spec } of targets) {
    if (records.length >= parsed.limit) break;
    const searchable = object.fields.filter((f) => SCOPES[parsed.scope]!(f) && access.canRead(object, f));
    if (searchable.length === 0) continue;
    const where = /^WHERE\s+/i.test(spec.rest) ? spec.rest.replace(/^WHERE\s+/i, '') : '';
    const clauseStart = keywordAt(where, /^(ORDER\s+BY|LIMIT|OFFSET)\b/i);
    const filter = clauseStart >= 0 ? where.slice(0, clauseStart) : where;
    const tail = where ? (clauseStart >= 0 ? where.slice(clauseStart) : '') : spec.rest;
    const limitMatch = /\bLIMIT\s+(\d+)/i.exec(tail);
    const room = parsed.limit - records.length;
    const soql = `SELECT ${spec.fields} FROM ${object.name} WHERE ${condition(parsed.terms, searchable)}${filter ? ` AND (${filter})` : ''} ${tail.replace(/\bLIMIT\s+\d+/i, '')} LIMIT ${Math.min(room, limitMatch ? Number(limitMatch[1]) : room)}`;
    try {
      const page = await runQuery(service, access, soql, { includeDeleted: false, batchSize: MAX_LIMIT, version });
      records.push(...page.records);
    } catch (error) {
      // The part the caller wrote (fields, WHERE) is reported against the search they sent.
      const message = (error as Error).message.split('\n').at(-1) ?? 'invalid search';
      throw queryError((error as { errorCode?: string }).errorCode === 'INVALID_FIELD' ? 'INVALID_FIELD' : 'MALFORMED_SEARCH', sosl, message, spec.object);
    }
  }
  return { searchRecords: records.slice(0, parsed.limit) };
}
