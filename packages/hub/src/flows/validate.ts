import type { HubContext } from '../context.js';
import { formatPath, type FieldMapping, type FlowDefinition, type FlowProblem, type LoadedFlow } from './definition.js';
import { connectionByName, salesforceCall } from './calls/clients.js';
import { externalService, type JsonSchema } from './external-services.js';
import { checkExpressions, expressionProblem } from './mapping.js';

interface DescribeField { name: string; type: string; createable: boolean; updateable: boolean; externalId: boolean; idLookup: boolean; nillable: boolean; defaultedOnCreate: boolean }
interface Describe { name: string; fields: DescribeField[]; childRelationships: { relationshipName: string | null }[] }

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
  }
  return undefined;
}

function schemaTypes(schema: JsonSchema): string[] {
  return Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
}

/** The same check against a JSON schema property of an OpenAPI request body. */
function schemaTypeProblem(spec: FieldMapping, name: string, schema: JsonSchema): string | undefined {
  const types = schemaTypes(schema);
  if (types.length === 0) return undefined;
  const conversion = 'type' in spec ? spec.type : undefined;
  const constant = 'const' in spec ? spec.const : undefined;
  const kind = conversion === 'integer' ? 'integer' : conversion === 'number' ? 'number' : conversion === 'boolean' ? 'boolean' : conversion ? 'string'
    : constant === undefined || constant === null ? undefined : typeof constant === 'number' ? 'number' : typeof constant === 'boolean' ? 'boolean' : 'string';
  if ('each' in spec && !types.includes('array')) return `maps a list into ${name}, which is ${types.join('/')}`;
  if (!kind) return undefined;
  const ok = types.includes(kind) || (kind === 'integer' && types.includes('number')) || (kind === 'number' && types.includes('integer') && Number.isInteger(constant));
  return ok ? undefined : `maps a ${kind} into ${name}, which is ${types.join('/')}`;
}

/**
 * The checks that need the outside world, run when a flow is saved: connections and services exist,
 * every mapped field exists on the target and is writable for the integration user (a field hidden
 * by field-level security is unknown, as in Salesforce), types fit, and expressions parse.
 */
export async function crossCheckFlow(ctx: HubContext, loaded: LoadedFlow): Promise<FlowProblem[]> {
  const flow: FlowDefinition = loaded.definition;
  const problems: FlowProblem[] = [];
  const problem = (path: PropertyKey[], message: string) => problems.push({ ...loaded.locate(path), path: formatPath(path), message });
  const describes = new Map<string, Describe | string>();
  const describe = async (connection: string, object: string): Promise<Describe | string> => {
    const key = `${connection}/${object}`;
    if (!describes.has(key)) {
      try {
        const { body } = await salesforceCall(ctx, connection, `/sobjects/${encodeURIComponent(object)}/describe`);
        describes.set(key, body as Describe);
      } catch (error) {
        const status = /^HTTP (\d+)/.exec((error as Error).message)?.[1];
        describes.set(key, status === '404' ? `object ${object} does not exist or the connection's user cannot read it` : `could not describe ${object}: ${(error as Error).message}`);
      }
    }
    return describes.get(key)!;
  };
  const connection = async (path: PropertyKey[], name: string) => {
    try {
      const found = await connectionByName(ctx, name);
      if (found.app !== 'salesforce') problem(path, `connection "${name}" is not a Salesforce connection`);
      return found.app === 'salesforce';
    } catch {
      problem(path, `unknown connection "${name}"`);
      return false;
    }
  };

  const trigger = flow.trigger;
  if (trigger.type === 'salesforce') {
    if (await connection(['trigger', 'connection'], trigger.connection)) {
      const d = await describe(trigger.connection, trigger.object);
      if (typeof d === 'string') problem(['trigger', 'object'], d);
      else {
        trigger.fields.forEach((f, i) => {
          if (!f.includes('.') && !d.fields.some((x) => x.name.toLowerCase() === f.toLowerCase())) problem(['trigger', 'fields', i], `unknown field ${f} on ${trigger.object}`);
        });
        for (const rel of Object.keys(trigger.children)) {
          if (!d.childRelationships.some((r) => r.relationshipName?.toLowerCase() === rel.toLowerCase())) problem(['trigger', 'children', rel], `${trigger.object} has no child relationship ${rel}`);
        }
      }
    }
  } else if (trigger.type === 'feed') {
    try {
      const service = await externalService(ctx, trigger.service);
      const op = service.operations.get(trigger.operation);
      if (!op) problem(['trigger', 'operation'], `${trigger.service} has no operation ${trigger.operation}; it has ${[...service.operations.keys()].join(', ')}`);
      else if (op.method !== 'GET') problem(['trigger', 'operation'], `${trigger.operation} is a ${op.method}; a feed is read with GET`);
    } catch {
      problem(['trigger', 'service'], `unknown external service "${trigger.service}"`);
    }
  }
  flow.conditions.forEach((c, i) => {
    const message = expressionProblem(c);
    if (message) problem(['conditions', i], message);
  });

  for (const [i, action] of flow.actions.entries()) {
    const at = ['actions', i];
    if (action.type === 'salesforce.query') {
      await connection([...at, 'connection'], action.connection);
      for (const part of action.soql.match(/\{[^}]+\}/g) ?? []) {
        const message = expressionProblem(part.slice(1, -1));
        if (message) problem([...at, 'soql'], message);
      }
      continue;
    }
    // A collections action maps each record of a list: its fields are checked like a single record's.
    const mapping = action.type === 'salesforce.collections' ? action.records.mapping : action.mapping;
    const mappingPath = action.type === 'salesforce.collections' ? [...at, 'records', 'mapping'] : [...at, 'mapping'];
    const kind = action.type === 'salesforce.collections' ? `salesforce.${action.operation}` : action.type;
    for (const p of checkExpressions(mapping)) problem([...mappingPath, ...p.path], p.message);
    const eachProblem = action.type === 'salesforce.collections' ? expressionProblem(action.records.each) : undefined;
    if (eachProblem) problem([...at, 'records', 'each'], eachProblem);
    if (action.type === 'service') {
      try {
        const service = await externalService(ctx, action.service);
        const op = service.operations.get(action.operation);
        if (!op) {
          problem([...at, 'operation'], `${action.service} has no operation ${action.operation}; it has ${[...service.operations.keys()].join(', ')}`);
          continue;
        }
        for (const name of op.pathParams) if (!(name in action.params)) problem([...at, 'params'], `the operation's path needs the parameter ${name}`);
        checkAgainstSchema(op.body ?? { type: 'object', properties: {} }, action.mapping, [...at, 'mapping'], problem);
      } catch {
        problem([...at, 'service'], `unknown external service "${action.service}"`);
      }
      continue;
    }
    if (!(await connection([...at, 'connection'], action.connection))) continue;
    const d = await describe(action.connection, action.object);
    if (typeof d === 'string') {
      problem([...at, 'object'], d);
      continue;
    }
    const fieldOf = (name: string) => d.fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
    if (kind === 'salesforce.upsert') {
      const ext = action.externalIdField ? fieldOf(action.externalIdField) : undefined;
      if (!action.externalIdField) problem([...at], 'an upsert needs externalIdField');
      else if (!ext || !(ext.externalId || ext.idLookup)) problem([...at, 'externalIdField'], `${action.externalIdField} is not an external id field of ${action.object} (or the user cannot read it)`);
      else if (!(action.externalIdField in mapping)) problem(mappingPath, `the mapping must set the external id ${action.externalIdField}`);
    }
    for (const [target, spec] of Object.entries(mapping)) {
      if (kind === 'salesforce.update' && target === 'Id') continue;
      const field = fieldOf(target);
      if (!field) {
        problem([...mappingPath, target], `unknown field ${target} on ${action.object} (it does not exist, or field-level security hides it from the connection's user)`);
        continue;
      }
      const writable = kind === 'salesforce.create' ? field.createable : kind === 'salesforce.update' ? field.updateable : field.createable || field.updateable;
      if (!writable) problem([...mappingPath, target], `${action.object}.${target} is not writable for the connection's user (read-only field or field-level security)`);
      const typeProblem = salesforceTypeProblem(spec, field);
      if (typeProblem) problem([...mappingPath, target], typeProblem);
    }
    if (kind !== 'salesforce.update') {
      const missing = d.fields.filter((f) => f.createable && !f.nillable && !f.defaultedOnCreate && f.type !== 'boolean' && !Object.keys(mapping).some((t) => t.toLowerCase() === f.name.toLowerCase()));
      if (missing.length) problem(mappingPath, `required fields of ${action.object} are not mapped: ${missing.map((f) => f.name).join(', ')}`);
    }
  }
  return problems;
}

function checkAgainstSchema(schema: JsonSchema, mapping: Record<string, FieldMapping>, path: PropertyKey[], problem: (path: PropertyKey[], message: string) => void): void {
  const properties = schema.properties ?? {};
  for (const [target, spec] of Object.entries(mapping)) {
    const property = properties[target];
    if (!property) {
      if (schema.additionalProperties === false || Object.keys(properties).length > 0) problem([...path, target], `unknown field ${target}; the operation takes ${Object.keys(properties).join(', ') || 'no body'}`);
      continue;
    }
    const typeProblem = schemaTypeProblem(spec, target, property);
    if (typeProblem) problem([...path, target], typeProblem);
    if ('each' in spec && property.items) checkAgainstSchema(property.items, spec.mapping, [...path, target, 'mapping'], problem);
  }
  for (const required of schema.required ?? []) if (!(required in mapping)) problem(path, `the operation requires ${required}, which the mapping does not set`);
}

