import { budgetedExpression, MappingError } from './expression-budget.js';
import type { FieldMapping } from './definition.js';
import type { WhenEmpty } from './schema-parts.js';

export { MappingError } from './expression-budget.js';

/** The largest value (as JSON text) one mapped record may hold. */
export const MAX_MAPPED_BYTES = 1_000_000;

export interface MappingContext {
  /** Finds one record's field by another field's value (e.g. the Account Id by its Name). */
  lookup?: (object: string, field: string, value: unknown, select: string) => Promise<unknown>;
}

type Compiled = (input: unknown, context: MappingContext) => Promise<unknown>;

/** A compiled expression; `evaluateList` gives a list whatever JSONata made of it (one item, none). */
export interface Expression {
  evaluate(input: unknown): Promise<unknown>;
  evaluateList(input: unknown): Promise<unknown[]>;
}

const expressions = new Map<string, Expression>();

/**
 * A JSONata expression, compiled once per text: flows evaluate the same few for every event. Most
 * mapping paths are plain field paths (`Account.Name`); those are read directly when every step is
 * a plain object, which gives JSONata's own answer at a fraction of its evaluator's cost per event,
 * and anything else (arrays to map over, nulls) goes to JSONata.
 */
export function expression(text: string): Expression {
  let compiled = expressions.get(text);
  if (!compiled) {
    compiled = compileExpression(text);
    expressions.set(text, compiled);
  }
  return compiled;
}

const toList = (value: unknown): unknown[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);

function compileExpression(text: string): Expression {
  const full = { evaluate: budgetedExpression(text) };
  const steps = plainPathSteps(text);
  if (!steps) {
    return {
      evaluate: (input) => full.evaluate(input),
      evaluateList: async (input) => toList(await full.evaluate(input)),
    };
  }
  return {
    evaluate: async (input) => {
      const value = readPlainPath(input, steps);
      // Objects and arrays go to JSONata too: it unwraps singletons and flattens lists.
      return value === NOT_PLAIN || typeof value === 'object' ? full.evaluate(input) : value;
    },
    evaluateList: async (input) => {
      const value = readPlainPath(input, steps);
      if (value !== NOT_PLAIN && typeof value !== 'object') return toList(value);
      // A list of records (order items) is what `each` maps over; JSONata would give the same items.
      if (Array.isArray(value) && value.every(isPlainObject)) return value;
      return toList(await full.evaluate(input));
    },
  };
}

/** Words JSONata reads as values or operators, never as field names. */
const JSONATA_WORDS = new Set(['true', 'false', 'null', 'and', 'or', 'in', 'function']);
const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

function plainPathSteps(text: string): string[] | undefined {
  const steps = text.split('.');
  return steps.every((step) => FIELD.test(step) && !JSONATA_WORDS.has(step)) ? steps : undefined;
}

const NOT_PLAIN = Symbol('not a plain path read');
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The value at a field path through plain objects only (never null: a null is NOT_PLAIN), or
 * NOT_PLAIN where JSONata's rules must decide (arrays, nulls, inherited names).
 */
function readPlainPath(input: unknown, steps: readonly string[]): unknown {
  let value = input;
  for (const step of steps) {
    if (!isPlainObject(value)) return NOT_PLAIN;
    if (!Object.hasOwn(value, step)) return step in value ? NOT_PLAIN : undefined;
    value = value[step];
  }
  return typeof value === 'function' || value === null ? NOT_PLAIN : value;
}

/** Why an expression does not parse, or undefined when it does. */
export function expressionProblem(text: string): string | undefined {
  try {
    expression(text);
    return undefined;
  } catch (error) {
    return `not a valid JSONata expression: ${(error as Error).message}`;
  }
}

/** Checks that every expression in a mapping parses; returns the problems with their target paths. */
export function checkExpressions(mapping: Record<string, FieldMapping>, prefix: string[] = []): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  const check = (text: string, path: string[]) => {
    const message = expressionProblem(text);
    if (message) problems.push({ path, message });
  };
  for (const [target, spec] of Object.entries(mapping)) {
    const path = [...prefix, target];
    if ('path' in spec) check(spec.path, [...path, 'path']);
    else if ('expr' in spec) check(spec.expr, [...path, 'expr']);
    else if ('template' in spec) for (const part of spec.template.match(/\{[^}]+\}/g) ?? []) check(part.slice(1, -1), [...path, 'template']);
    else if ('lookup' in spec) check(spec.lookup.value, [...path, 'lookup', 'value']);
    else if ('each' in spec) {
      check(spec.each, [...path, 'each']);
      problems.push(...checkExpressions(spec.mapping, [...path, 'mapping']));
    }
  }
  return problems;
}

function convert(value: unknown, type: string | undefined, target: string): unknown {
  if (value === undefined || value === null || type === undefined) return value ?? null;
  switch (type) {
    case 'string':
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'number':
    case 'integer': {
      const n = typeof value === 'number' ? value : Number(String(value).trim());
      if (String(value).trim() === '' || !Number.isFinite(n)) throw new MappingError(`${target}: "${String(value)}" is not a number`);
      return type === 'integer' ? Math.trunc(n) : n;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (['true', '1', 'yes'].includes(String(value).toLowerCase())) return true;
      if (['false', '0', 'no', ''].includes(String(value).toLowerCase())) return false;
      throw new MappingError(`${target}: "${String(value)}" is not a boolean`);
    case 'date':
    case 'datetime': {
      const t = Date.parse(String(value).replace(/\+0000$/, 'Z'));
      if (Number.isNaN(t)) throw new MappingError(`${target}: "${String(value)}" is not a date`);
      const iso = new Date(t).toISOString();
      return type === 'date' ? (/^\d{4}-\d{2}-\d{2}$/.test(String(value)) ? String(value) : iso.slice(0, 10)) : iso;
    }
    default:
      return value;
  }
}

/** A source with no value (null or missing) takes the mapping's `default`. */
const fill = (spec: WhenEmpty, value: unknown): unknown => (value === null || value === undefined ? spec.default ?? value : value);
/** With `omitIfNull`, a value still empty after conversion leaves the field out of the record (undefined), instead of clearing it. */
const omit = (spec: WhenEmpty, value: unknown): unknown => (spec.omitIfNull && (value === null || value === undefined) ? undefined : value);

function compileOne(target: string, spec: FieldMapping): Compiled {
  if ('const' in spec) return async () => spec.const;
  if ('path' in spec) {
    const e = expression(spec.path);
    return async (input) => {
      const value = omit(spec, convert(fill(spec, await e.evaluate(input)), spec.type, target));
      if (spec.values && value !== null && value !== undefined) return spec.values[String(value)] ?? value;
      return value;
    };
  }
  if ('expr' in spec) {
    const e = expression(spec.expr);
    return async (input) => omit(spec, convert(fill(spec, await e.evaluate(input)), spec.type, target));
  }
  if ('template' in spec) {
    const parts = spec.template.split(/(\{[^}]+\})/g).map((part) => (part.startsWith('{') && part.endsWith('}') ? expression(part.slice(1, -1)) : part));
    return async (input) => {
      let out = '';
      for (const part of parts) out += typeof part === 'string' ? part : String((await part.evaluate(input)) ?? '');
      return out;
    };
  }
  if ('lookup' in spec) {
    const e = expression(spec.lookup.value);
    return async (input, context) => {
      const value = await e.evaluate(input);
      if (value === undefined || value === null) return null;
      if (!context.lookup) throw new MappingError(`${target}: lookups need a Salesforce connection`);
      const found = await context.lookup(spec.lookup.object, spec.lookup.field, value, spec.lookup.select ?? 'Id');
      if (found === undefined) throw new MappingError(`${target}: no ${spec.lookup.object} with ${spec.lookup.field} = "${String(value)}"`);
      return found;
    };
  }
  const each = expression(spec.each);
  const inner = compileMapping(spec.mapping);
  return async (input, context) => {
    const out = [];
    for (const item of await each.evaluateList(input)) out.push(await inner(item, context));
    return out;
  };
}

type CompiledMapping = (input: unknown, context: MappingContext) => Promise<Record<string, unknown>>;
const compiledMappings = new WeakMap<Record<string, FieldMapping>, CompiledMapping>();

/** Compiles a mapping once (per mapping object); the result maps one source record to one target record. */
export function compileMapping(mapping: Record<string, FieldMapping>): CompiledMapping {
  const cached = compiledMappings.get(mapping);
  if (cached) return cached;
  const compiled = buildMapping(mapping);
  compiledMappings.set(mapping, compiled);
  return compiled;
}

const compiledLists = new WeakMap<FieldMapping, Compiled>();

/** Compiles a list mapping (`each` + `mapping`) once; the result is the list of target records. */
export function compileList(spec: Extract<FieldMapping, { each: string }>): (input: unknown, context: MappingContext) => Promise<Record<string, unknown>[]> {
  let compiled = compiledLists.get(spec);
  if (!compiled) compiledLists.set(spec, (compiled = compileOne('records', spec)));
  return compiled as (input: unknown, context: MappingContext) => Promise<Record<string, unknown>[]>;
}

function buildMapping(mapping: Record<string, FieldMapping>): CompiledMapping {
  const fields = Object.entries(mapping).map(([target, spec]) => [target, compileOne(target, spec)] as const);
  return async (input, context) => {
    const out: Record<string, unknown> = {};
    for (const [target, fn] of fields) {
      const value = await fn(input, context);
      if (value !== undefined) out[target] = value;
      if (typeof value === 'string' && value.length > MAX_MAPPED_BYTES) throw new MappingError(`${target}: the mapped value is ${value.length.toLocaleString('en')} characters, over the ${MAX_MAPPED_BYTES.toLocaleString('en')} a record may hold`);
    }
    return out;
  };
}
