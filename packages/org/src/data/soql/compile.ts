import { parseQuery, type Condition, type OrderByClause, type Query, type ValueQueryCondition, type WhereClause } from '@jetstreamapp/soql-parser-js';
import { sql, type RawBuilder } from 'kysely';
import type { DataAccess } from '../access/data-access.js';
import { col, type ScopeFilter } from '../access/scope-sql.js';
import { malformedQuery, noSuchColumn, queryError, unsupportedType } from '../data-error.js';
import { SYSTEM_FIELD_NAMES, type ChildRelationship, type FieldDef, type ObjectDef } from '../schema/fields.js';
import type { DataService } from '../service.js';
import { comparesLowered, tableName } from '../store/record-tables.js';
import { isoDateTime, normalizeId } from '../records/values.js';
import { dateLiteralRange } from './date-literals.js';

/** A selected value: a column of the root or of a parent reached through relationship names. */
export interface OutputField { kind: 'field'; name: string; key: string; field: FieldDef }
export interface OutputParent { kind: 'parent'; name: string; object: ObjectDef; idKey: string; children: OutputNode[] }
export interface OutputChild { kind: 'child'; name: string; relationship: ChildRelationship; query: CompiledQuery }
export interface OutputAggregate { kind: 'aggregate'; name: string; key: string; field?: FieldDef; label?: string }
export type OutputNode = OutputField | OutputParent | OutputChild | OutputAggregate;

export interface CompiledQuery {
  object: ObjectDef;
  /** SELECT list, FROM with joins and WHERE, ready for ORDER BY / LIMIT. */
  select: RawBuilder<unknown>;
  from: RawBuilder<unknown>;
  where: RawBuilder<unknown>;
  orderBy: RawBuilder<unknown> | undefined;
  limit: number | undefined;
  offset: number;
  output: OutputNode[];
  /** The root record's Id column, for keyset pagination and fetching children. */
  idRef: RawBuilder<unknown>;
  /** The root alias, to qualify columns of the root table. */
  rootAlias: string;
  countOnly: boolean;
  aggregate: boolean;
  /**
   * Set when parent relationships are only selected, never filtered or sorted on: a page is then
   * taken from the root table alone and joined afterwards (`root` and `joins` below). With the
   * joins in the same query, SQLite's planner sorts the whole table for each page of a keyset
   * poll over a million orders (0.5 s a page) instead of walking the SystemModstamp index.
   */
  pageFirst?: { root: RawBuilder<unknown>; joins: RawBuilder<unknown> };
}

interface Join { alias: string; object: ObjectDef }

const UNSUPPORTED: [keyof Query, string][] = [
  ['having', 'HAVING'], ['withDataCategory', 'WITH DATA CATEGORY'], ['usingScope', 'USING SCOPE'], ['withSecurityEnforced', 'WITH SECURITY_ENFORCED'], ['update', 'UPDATE TRACKING'],
];

export function parseSoql(soql: string): Query {
  if (soql.trim() === '') throw malformedQuery('The query string is empty: pass SOQL in the q parameter.');
  if (soql.includes('\u0000')) throw malformedQuery('The query contains a NUL character (U+0000).');
  try {
    return parseQuery(soql);
  } catch (error) {
    const found = /but found: '([^']*)'/.exec(error instanceof Error ? error.message : '');
    throw found ? queryError('MALFORMED_QUERY', soql, `unexpected token: '${found[1] || '<EOF>'}'`, found[1] || undefined) : queryError('MALFORMED_QUERY', soql, 'unexpected token in the query');
  }
}

/**
 * Turns parsed SOQL into SQL over the record tables. Every field and object is resolved through
 * the caller's access first, so a field the user cannot read is reported exactly like one that
 * does not exist, and every table (root, parents, children, semi-joins) carries its sharing filter.
 */
export class SoqlCompiler {
  private aliasCount = 0;

  constructor(private readonly service: DataService, private readonly access: DataAccess, private readonly soql: string, private readonly includeDeleted: boolean) {}

  async compile(query: Query, child?: { object: ObjectDef }): Promise<CompiledQuery> {
    for (const [key, construct] of UNSUPPORTED) if (query[key] !== undefined && query[key] !== false) throw malformedQuery(`${construct} is not supported by this org`);
    if (query.for && query.for !== 'VIEW' && query.for !== 'REFERENCE') throw malformedQuery(`FOR ${query.for} is not supported by this org`);
    const object = child?.object ?? this.object(query.sObject ?? '');
    const root: Join = { alias: this.alias(), object };
    const joins: RawBuilder<unknown>[] = [];
    const joined = new Map<string, Join>();
    const selected: RawBuilder<unknown>[] = [];
    const output: OutputNode[] = [];
    const prefix = query.sObjectAlias?.toLowerCase();
    // Whether WHERE, GROUP BY or ORDER BY reach a parent (see pageFirst).
    let filtering = false;
    let filtersOnParents = false;

    const resolve = async (path: string): Promise<{ ref: RawBuilder<unknown>; field: FieldDef; owner: Join; chain: { rel: string; join: Join; idRef: string }[] }> => {
      let parts = path.split('.');
      // A leading alias or object name qualifies the root (SELECT Account.Name FROM Account) unless it names a relationship.
      const head = parts[0]!.toLowerCase();
      const isRelationship = object.fields.some((f) => f.relationshipName?.toLowerCase() === head);
      if (parts.length > 1 && (head === prefix || (!isRelationship && head === object.name.toLowerCase()))) parts = parts.slice(1);
      let current = root;
      const chain: { rel: string; join: Join; idRef: string }[] = [];
      for (const rel of parts.slice(0, -1)) {
        const lookup = current.object.fields.find((f) => f.relationshipName?.toLowerCase() === rel.toLowerCase() && f.type === 'reference');
        if (!lookup || !this.access.canRead(current.object, lookup)) throw this.noColumn(path, current.object);
        const target = this.service.schema.get(lookup.referenceTo[0]!)!;
        if (!this.access.rights(target).read) throw this.noColumn(path, current.object);
        const key = `${current.alias}.${lookup.name}`;
        let join = joined.get(key);
        if (!join) {
          join = { alias: this.alias(), object: target };
          joined.set(key, join);
          const scope = (await this.service.filter(this.access, target, 'read'))(join.alias);
          joins.push(sql` LEFT JOIN ${sql.table(tableName(target))} AS ${sql.id(join.alias)} ON ${col(join.alias, 'Id')} = ${col(current.alias, lookup.name)} AND ${col(join.alias, 'IsDeleted')} = 0${scope ? sql` AND ${scope}` : sql``}`);
        }
        chain.push({ rel: lookup.relationshipName!, join, idRef: `${join.alias}.Id` });
        current = join;
        if (filtering) filtersOnParents = true;
      }
      const name = parts[parts.length - 1]!;
      const field = this.service.schema.field(current.object, name);
      if (!field || !this.access.canRead(current.object, field)) throw this.noColumn(path, current.object);
      return { ref: col(current.alias, field.name), field, owner: current, chain };
    };

    const aggregate = (query.fields ?? []).some((f) => f.type === 'FieldFunctionExpression' && f.isAggregateFn) || query.groupBy !== undefined;
    let countOnly = false;
    let expr = 0;
    const keyFor = () => `c${selected.length}`;
    for (const item of query.fields ?? []) {
      if (item.type === 'FieldSubquery') {
        if (aggregate || child) throw malformedQuery('Nested and aggregate subqueries are not supported');
        const rel = this.service.schema.childRelationships(object).find((r) => r.relationshipName.toLowerCase() === item.subquery.relationshipName.toLowerCase());
        const childObject = rel ? this.service.schema.get(rel.childSObject)! : undefined;
        if (!rel || !childObject || !this.access.rights(childObject).read) {
          throw queryError('INVALID_TYPE', this.soql, `Didn't understand relationship '${item.subquery.relationshipName}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`, item.subquery.relationshipName);
        }
        const compiled = await new SoqlCompiler(this.service, this.access, this.soql, this.includeDeleted).compile(item.subquery as Query, { object: childObject });
        output.push({ kind: 'child', name: rel.relationshipName, relationship: rel, query: compiled });
        // The parent's Id is what children are fetched by.
        continue;
      }
      if (item.type === 'FieldTypeof') throw malformedQuery('TYPEOF is not supported by this org');
      if (item.type === 'FieldFunctionExpression') {
        const fn = item.functionName.toUpperCase();
        if (fn === 'FIELDS') throw malformedQuery('FIELDS() is not supported by this org; list the fields');
        if (!item.isAggregateFn) throw malformedQuery(`The function ${fn}() is not supported by this org`);
        const param = item.parameters[0];
        if (typeof param === 'object') throw malformedQuery(`Nested functions in ${fn}() are not supported by this org`);
        if (fn === 'COUNT' && param === undefined) {
          if ((query.fields ?? []).length > 1 || query.groupBy) throw malformedQuery('COUNT() must be the only element in the SELECT list');
          countOnly = true;
          continue;
        }
        const target = param === undefined ? undefined : await resolve(param);
        const key = keyFor();
        const sqlFn = { COUNT: 'COUNT', COUNT_DISTINCT: 'COUNT', SUM: 'SUM', AVG: 'AVG', MIN: 'MIN', MAX: 'MAX' }[fn];
        if (!sqlFn || !target) throw malformedQuery(`The aggregate function ${fn}() is not supported by this org`);
        const numeric = ['int', 'double', 'currency', 'percent'].includes(target.field.type);
        if ((fn === 'SUM' || fn === 'AVG') && !numeric) throw queryError('INVALID_FIELD', this.soql, `field ${target.field.name} does not support aggregate operator ${fn}`, param);
        selected.push(sql`${sql.raw(sqlFn)}(${fn === 'COUNT_DISTINCT' ? sql`DISTINCT ${target.ref}` : target.ref}) AS ${sql.id(key)}`);
        output.push({ kind: 'aggregate', name: item.alias ?? `expr${expr++}`, key, label: `${fn.toLowerCase()}(${param})`, ...(fn === 'MIN' || fn === 'MAX' ? { field: target.field } : {}) });
        continue;
      }
      const path = item.type === 'FieldRelationship' ? item.rawValue ?? [...item.relationships, item.field].join('.') : item.field;
      const target = await resolve(path);
      const key = keyFor();
      selected.push(sql`${target.ref} AS ${sql.id(key)}`);
      if (aggregate) {
        output.push({ kind: 'aggregate', name: ('alias' in item && item.alias) || target.field.name, key, field: target.field });
        continue;
      }
      let nodes = output;
      for (const link of target.chain) {
        let parent = nodes.find((n): n is OutputParent => n.kind === 'parent' && n.name === link.rel);
        if (!parent) {
          const idKey = `c${selected.length}`;
          selected.push(sql`${sql.ref(link.idRef)} AS ${sql.id(idKey)}`);
          parent = { kind: 'parent', name: link.rel, object: link.join.object, idKey, children: [] };
          nodes.push(parent);
        }
        nodes = parent.children;
      }
      if (!nodes.some((n) => n.kind === 'field' && n.name === target.field.name)) nodes.push({ kind: 'field', name: target.field.name, key, field: target.field });
    }
    if (!countOnly && selected.length === 0 && !output.some((o) => o.kind === 'child')) throw malformedQuery('The SELECT list is empty');
    // Every non-aggregate row carries its Id, for attributes.url, children and keyset pagination.
    if (!aggregate && !countOnly) selected.push(sql`${col(root.alias, 'Id')} AS ${sql.id('__id')}`);

    filtering = true;
    const conditions: RawBuilder<unknown>[] = [];
    if (!this.includeDeleted) conditions.push(sql`${col(root.alias, 'IsDeleted')} = 0`);
    const scope: ScopeFilter = await this.service.filter(this.access, object, 'read');
    const rootScope = scope(root.alias);
    if (rootScope) conditions.push(rootScope);
    if (query.where) conditions.push(await this.where(query.where, resolve));
    if (object.name === 'ContentDocumentLink' && !child && !/\b(ContentDocumentId|LinkedEntityId)\b/i.test(this.soql.split(/\bwhere\b/i)[1] ?? '')) {
      throw malformedQuery('Implementation restriction: ContentDocumentLink requires a filter by a single Id on ContentDocumentId or LinkedEntityId using the equals operator or multiple Id\'s using the IN operator.');
    }

    let groupBy: RawBuilder<unknown> | undefined;
    if (query.groupBy) {
      const groups = Array.isArray(query.groupBy) ? query.groupBy : [query.groupBy];
      const refs: RawBuilder<unknown>[] = [];
      for (const g of groups) {
        if (!('field' in g)) throw malformedQuery('GROUP BY with functions (ROLLUP, CUBE, date functions) is not supported by this org');
        refs.push((await resolve(g.field)).ref);
      }
      groupBy = sql.join(refs);
    }
    let orderBy: RawBuilder<unknown> | undefined;
    if (query.orderBy) {
      const items = Array.isArray(query.orderBy) ? query.orderBy : [query.orderBy];
      const parts: RawBuilder<unknown>[] = [];
      for (const item of items as OrderByClause[]) {
        if (!('field' in item)) throw malformedQuery('ORDER BY a function is not supported by this org');
        const { ref, field } = await resolve(item.field);
        const lowered = comparesLowered(this.service.dialect, field) ? sql`lower(${ref})` : ref;
        const direction = item.order === 'DESC' ? sql`DESC` : sql`ASC`;
        // SOQL puts nulls first when ascending, last when descending, unless told otherwise. A field
        // of the queried object the org always fills needs no null ordering, which lets an index
        // serve the ORDER BY (a CASE expression here made every keyset page sort the whole table).
        const nulls = item.nulls ?? (item.order === 'DESC' ? 'LAST' : 'FIRST');
        const neverNull = !item.field.includes('.') && (!field.nillable || SYSTEM_FIELD_NAMES.has(field.name));
        parts.push(neverNull ? sql`${lowered} ${direction}` : sql`${lowered} ${direction} NULLS ${sql.raw(nulls === 'LAST' ? 'LAST' : 'FIRST')}`);
      }
      orderBy = sql.join(parts);
    }
    if (query.limit !== undefined && (query.limit < 0 || !Number.isInteger(query.limit))) throw malformedQuery('LIMIT must be a non-negative integer');
    if ((query.offset ?? 0) > 2000) throw queryError('NUMBER_OUTSIDE_VALID_RANGE', this.soql, 'Maximum SOQL offset allowed is 2000', 'OFFSET');

    const where = conditions.length ? sql.join(conditions, sql` AND `) : sql`1 = 1`;
    const rootFrom = sql`${sql.table(tableName(object))} AS ${sql.id(root.alias)}`;
    const joinsSql = sql.join(joins, sql``);
    return {
      object,
      select: countOnly ? sql`COUNT(*) AS ${sql.id('total')}` : sql.join(selected),
      from: sql`${rootFrom}${joinsSql}`,
      ...(joins.length > 0 && !filtersOnParents && !aggregate && !countOnly ? { pageFirst: { root: rootFrom, joins: joinsSql } } : {}),
      where: groupBy ? sql`${where} GROUP BY ${groupBy}` : where,
      orderBy,
      limit: query.limit,
      offset: query.offset ?? 0,
      output,
      idRef: col(root.alias, 'Id'),
      rootAlias: root.alias,
      countOnly,
      aggregate,
    };
  }

  /** The parser gives WHERE as a chain with parenthesis counts; rebuild the tree with NOT > AND > OR. */
  private async where(clause: WhereClause, resolve: (path: string) => Promise<{ ref: RawBuilder<unknown>; field: FieldDef }>): Promise<RawBuilder<unknown>> {
    type Token = { kind: 'cond'; cond: Condition | ValueQueryCondition } | { kind: 'op'; op: 'AND' | 'OR' | 'NOT' } | { kind: '(' } | { kind: ')' };
    const tokens: Token[] = [];
    let node: WhereClause | undefined = clause;
    while (node) {
      const left = node.left as (Condition & { openParen?: number; closeParen?: number; field?: string; fn?: unknown }) | null;
      if (left) for (let i = 0; i < (left.openParen ?? 0); i++) tokens.push({ kind: '(' });
      if (left && ('field' in left || 'fn' in left)) tokens.push({ kind: 'cond', cond: left });
      if (left) for (let i = 0; i < (left.closeParen ?? 0); i++) tokens.push({ kind: ')' });
      if ('operator' in node && node.operator) {
        // NOT's parenthesis (if any) is carried by its left stub, already pushed before it.
        if (node.operator === 'NOT') tokens.splice(tokens.length - (left && !('field' in left) ? left.openParen ?? 0 : 0), 0, { kind: 'op', op: 'NOT' });
        else tokens.push({ kind: 'op', op: node.operator });
        node = (node as { right?: WhereClause }).right;
      } else node = undefined;
    }
    let pos = 0;
    const peek = () => tokens[pos];
    // OR binds looser than AND: each level folds its operands left to right.
    const binary = (op: 'AND' | 'OR', operand: () => Promise<RawBuilder<unknown>>) => async (): Promise<RawBuilder<unknown>> => {
      let left = await operand();
      while (peek()?.kind === 'op' && (peek() as { op: string }).op === op) {
        pos++;
        left = sql`(${left} ${sql.raw(op)} ${await operand()})`;
      }
      return left;
    };
    const parseAnd = binary('AND', () => parseNot());
    const parseOr = binary('OR', parseAnd);
    const parseNot = async (): Promise<RawBuilder<unknown>> => {
      const t = peek();
      if (t?.kind === 'op' && t.op === 'NOT') {
        pos++;
        return sql`(NOT ${await parseNot()})`;
      }
      if (t?.kind === '(') {
        pos++;
        const inner = await parseOr();
        if (peek()?.kind === ')') pos++;
        return sql`(${inner})`;
      }
      if (t?.kind === 'cond') {
        pos++;
        return this.condition(t.cond, resolve);
      }
      throw malformedQuery('unexpected token in WHERE');
    };
    return parseOr();
  }

  private async condition(cond: Condition | ValueQueryCondition, resolve: (path: string) => Promise<{ ref: RawBuilder<unknown>; field: FieldDef }>): Promise<RawBuilder<unknown>> {
    if (!('field' in cond)) throw malformedQuery('Functions in WHERE (such as CALENDAR_YEAR or DISTANCE) are not supported by this org');
    const { ref, field } = await resolve(cond.field);
    const op = cond.operator.toUpperCase();
    if ('valueQuery' in cond && cond.valueQuery) {
      if (op !== 'IN' && op !== 'NOT IN') throw malformedQuery('A semi-join needs IN or NOT IN');
      const inner = await new SoqlCompiler(this.service, this.access, this.soql, false).compile(cond.valueQuery);
      const single = inner.output.length === 1 && inner.output[0]!.kind === 'field' ? inner.output[0] : undefined;
      if (!single || !['id', 'reference'].includes(single.field.type)) throw malformedQuery('A semi-join selects exactly one Id or lookup field');
      return sql`${ref} ${sql.raw(op)} (SELECT ${sql.ref(single.key)} FROM (SELECT ${inner.select} FROM ${inner.from} WHERE ${inner.where}) AS ${sql.id(this.alias())})`;
    }
    const c = cond as { value: string | string[]; literalType?: string | string[]; dateLiteralVariable?: number | number[] };
    const lowered = comparesLowered(this.service.dialect, field);
    const lhs = lowered ? sql`lower(${ref})` : ref;
    const types = Array.isArray(c.literalType) ? c.literalType : [c.literalType ?? 'STRING'];
    const values = Array.isArray(c.value) ? c.value : [c.value];

    if (types[0] === 'DATE_LITERAL' || types[0] === 'DATE_N_LITERAL') {
      if (field.type !== 'date' && field.type !== 'datetime') throw this.badValue(cond.field, field, values[0]!);
      const n = Array.isArray(c.dateLiteralVariable) ? c.dateLiteralVariable[0] : c.dateLiteralVariable;
      const range = dateLiteralRange(values[0]!.split(':')[0]!.toUpperCase(), n, this.service.now());
      if (!range || values.length > 1) throw malformedQuery(`The date literal ${values.join(', ')} is not supported by this org`);
      // Salesforce's dates run from 1700 to 4000; LAST_N_DAYS:99999999999 is a bad query, not a crash.
      if (!(range.start >= MIN_DATE && range.end <= MAX_DATE)) throw malformedQuery(`The date literal ${values[0]} reaches past the dates Salesforce supports (1700-01-01 to 4000-12-31)`);
      const fmt = (t: number) => (field.type === 'date' ? new Date(t).toISOString().slice(0, 10) : new Date(t).toISOString());
      const [start, end] = [fmt(range.start), fmt(range.end)];
      switch (op) {
        case '=': return sql`(${ref} >= ${start} AND ${ref} < ${end})`;
        case '!=': return sql`(${ref} IS NULL OR ${ref} < ${start} OR ${ref} >= ${end})`;
        case '<': return sql`${ref} < ${start}`;
        case '<=': return sql`${ref} < ${end}`;
        case '>': return sql`${ref} >= ${end}`;
        case '>=': return sql`${ref} >= ${start}`;
        default: throw malformedQuery(`${op} cannot be used with a date literal`);
      }
    }

    const literal = values.map((v, i) => this.literal(cond.field, field, v, types[i] ?? types[0]!));
    const param = (v: string | number | null) => (lowered && typeof v === 'string' ? v.toLowerCase() : v);
    switch (op) {
      case '=':
      case '!=': {
        const v = literal[0]!;
        if (v === null) return op === '=' ? sql`${ref} IS NULL` : sql`${ref} IS NOT NULL`;
        return op === '=' ? sql`${lhs} = ${param(v)}` : sql`(${lhs} IS NULL OR ${lhs} <> ${param(v)})`;
      }
      case '<': case '>': case '<=': case '>=': {
        const v = literal[0];
        if (v === null || v === undefined) return sql`1 = 0`;
        if (field.type === 'boolean' || field.type === 'multipicklist') throw queryError('INVALID_QUERY_FILTER_OPERATOR', this.soql, `invalid operator on ${field.type} field: ${field.name}`, cond.field);
        return sql`${lhs} ${sql.raw(op)} ${param(v)}`;
      }
      case 'LIKE': {
        const v = literal[0];
        if (typeof v !== 'string') throw this.badValue(cond.field, field, values[0]!);
        // The pattern is built from the literal as written: `\%` and `\_` are the characters themselves.
        const pattern = likePattern(values[0]!);
        return this.service.dialect === 'postgres' ? sql`${ref} ILIKE ${pattern} ESCAPE '\\'` : sql`${ref} LIKE ${pattern} ESCAPE '\\'`;
      }
      case 'IN':
      case 'NOT IN': {
        const nonNull = literal.filter((v): v is string | number => v !== null).map(param);
        const hasNull = literal.some((v) => v === null);
        const list = nonNull.length ? sql`${lhs} ${sql.raw(op)} (${sql.join(nonNull)})` : sql`${sql.lit(op === 'IN' ? 0 : 1)} = 1`;
        if (op === 'IN') return hasNull ? sql`(${list} OR ${ref} IS NULL)` : list;
        return hasNull ? sql`(${list} AND ${ref} IS NOT NULL)` : sql`(${ref} IS NULL OR ${list})`;
      }
      case 'INCLUDES':
      case 'EXCLUDES': {
        if (field.type !== 'multipicklist') throw queryError('INVALID_QUERY_FILTER_OPERATOR', this.soql, `${op} can only be used on multi-select picklist fields (${field.name} is ${field.type})`, cond.field);
        const wrapped = this.service.dialect === 'postgres' ? sql`(';' || lower(${ref}) || ';')` : sql`(';' || ${ref} || ';')`;
        const anyOf = literal.map((v) => {
          const all = String(v).split(';').map((x) => x.trim().toLowerCase()).filter(Boolean);
          return sql`(${sql.join(all.map((x) => sql`${wrapped} LIKE ${`%;${x};%`}`), sql` AND `)})`;
        });
        const matched = sql`(${sql.join(anyOf, sql` OR `)})`;
        return op === 'INCLUDES' ? matched : sql`(${ref} IS NULL OR NOT ${matched})`;
      }
      default:
        throw malformedQuery(`The operator ${op} is not supported by this org`);
    }
  }

  /** A SOQL literal as the column stores it; the wrong kind of literal is Salesforce's filter error. */
  private literal(path: string, field: FieldDef, raw: string, type: string): string | number | null {
    if (type === 'NULL') return null;
    const text = ['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist', 'id', 'reference', 'base64'].includes(field.type);
    if (type === 'STRING') {
      if (!text) throw this.badValue(path, field, raw);
      const value = raw.slice(1, -1).replace(/\\(.)/g, (_m, ch: string) => STRING_ESCAPES[ch] ?? ch);
      if (field.type === 'id' || field.type === 'reference') {
        const id = normalizeId(value);
        if (!id) throw queryError('INVALID_QUERY_FILTER_OPERATOR', this.soql, `invalid ID field: ${value}`, raw);
        return id;
      }
      return value;
    }
    if (text) throw this.badValue(path, field, raw);
    switch (type) {
      case 'BOOLEAN':
        if (field.type !== 'boolean') throw this.badValue(path, field, raw);
        return raw.toUpperCase() === 'TRUE' ? 1 : 0;
      case 'INTEGER':
      case 'DECIMAL':
      case 'INTEGER_WITH_CURRENCY_PREFIX':
      case 'DECIMAL_WITH_CURRENCY_PREFIX':
        if (!['int', 'double', 'currency', 'percent'].includes(field.type)) throw this.badValue(path, field, raw);
        return Number(raw.replace(/^[A-Z]{3}/, ''));
      case 'DATE':
        if (field.type === 'date') return raw;
        if (field.type === 'datetime') throw queryError('INVALID_QUERY_FILTER_OPERATOR', this.soql, `value of filter criterion for field '${field.name}' must be of type dateTime and should not be enclosed in quotes`, raw);
        throw this.badValue(path, field, raw);
      case 'DATETIME': {
        if (field.type === 'date') throw queryError('INVALID_QUERY_FILTER_OPERATOR', this.soql, `value of filter criterion for field '${field.name}' must be of type date and should not be enclosed in quotes`, raw);
        if (field.type !== 'datetime') throw this.badValue(path, field, raw);
        const iso = isoDateTime(raw);
        if (!iso) throw malformedQuery(`invalid datetime: ${raw}`);
        return iso;
      }
      default:
        throw malformedQuery(`The value ${raw} is not supported by this org`);
    }
  }

  private badValue(path: string, field: FieldDef, raw: string) {
    const soapType = { string: 'string', textarea: 'string', email: 'string', phone: 'string', url: 'string', picklist: 'string', multipicklist: 'string', id: 'id', reference: 'id', boolean: 'boolean', int: 'int', double: 'double', currency: 'double', percent: 'double', date: 'date', datetime: 'dateTime', base64: 'base64' }[field.type];
    const quoted = soapType === 'string' || soapType === 'id';
    return queryError('INVALID_QUERY_FILTER_OPERATOR', this.soql, `value of filter criterion for field '${path}' must be of type ${soapType} and should ${quoted ? '' : 'not '}be enclosed in quotes`, raw);
  }

  private object(name: string): ObjectDef {
    const object = this.service.schema.get(name);
    // Platform events are published and subscribed to, never stored to query (as in Salesforce).
    if (!object || !this.access.rights(object).read || object.platformEvent) throw unsupportedType(this.soql, name);
    return object;
  }

  private noColumn(path: string, object: ObjectDef) {
    return noSuchColumn(this.soql, path, object.name);
  }

  private alias(): string {
    return `t${this.aliasCount++}`;
  }
}

const STRING_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };

/**
 * A SOQL LIKE literal (quotes included) as a SQL LIKE pattern with `\` as its escape character:
 * `%` and `_` stay wildcards, `\%` and `\_` match the characters themselves (as in Salesforce), and
 * the other escapes are those of any SOQL string.
 */
export function likePattern(raw: string): string {
  const body = raw.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\' || i + 1 === body.length) {
      out += ch;
      continue;
    }
    const next = body[++i]!;
    const plain = next === '%' || next === '_' ? next : STRING_ESCAPES[next] ?? next;
    out += plain === '%' || plain === '_' || plain === '\\' ? `\\${plain}` : plain;
  }
  return out;
}

const MIN_DATE = Date.UTC(1700, 0, 1);
const MAX_DATE = Date.UTC(4001, 0, 1);
