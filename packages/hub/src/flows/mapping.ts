import jsonata from 'jsonata';
import type { FieldMapping } from './definition.js';

/** A mapping value could not be produced from this record (bad data, not a bad flow). */
export class MappingError extends Error {
  override name = 'MappingError';
}

export interface MappingContext {
  /** Finds one record's field by another field's value (e.g. the Account Id by its Name). */
  lookup?: (object: string, field: string, value: unknown, select: string) => Promise<unknown>;
}

type Compiled = (input: unknown, context: MappingContext) => Promise<unknown>;

const expressions = new Map<string, ReturnType<typeof jsonata>>();

/** A JSONata expression, compiled once per text: flows evaluate the same few for every event. */
export function expression(text: string): ReturnType<typeof jsonata> {
  let compiled = expressions.get(text);
  if (!compiled) {
    compiled = jsonata(text);
    expressions.set(text, compiled);
  }
  return compiled;
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

function compileOne(target: string, spec: FieldMapping): Compiled {
  if ('const' in spec) return async () => spec.const;
  if ('path' in spec) {
    const e = expression(spec.path);
    return async (input) => {
      const value = convert(await e.evaluate(input), spec.type, target);
      if (spec.values && value !== null && value !== undefined) return spec.values[String(value)] ?? value;
      return value;
    };
  }
  if ('expr' in spec) {
    const e = expression(spec.expr);
    return async (input) => convert(await e.evaluate(input), spec.type, target);
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
    const items = await each.evaluate(input);
    const list = items === undefined || items === null ? [] : Array.isArray(items) ? items : [items];
    const out = [];
    for (const item of list) out.push(await inner(item, context));
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
    }
    return out;
  };
}
