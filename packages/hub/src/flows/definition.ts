import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { Cron } from 'croner';
import { z } from 'zod';

/**
 * A flow as a document: a trigger, optional conditions, actions with field mappings. The schema is
 * published as JSON Schema (`flowJsonSchema`) and every problem is reported with its line and path.
 */

const DURATION = /^(\d+)\s*(ms|s|m|h)$/;
export function durationMs(text: string): number {
  const m = DURATION.exec(text.trim())!;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}
const duration = z.string().regex(DURATION, 'must be a duration such as 500ms, 5s or 1m');
/** How long one call may take before it counts as failed (and is retried). */
const timeout = duration.default('15s');

export const CONVERSIONS = ['string', 'number', 'integer', 'boolean', 'date', 'datetime'] as const;

/** One target field's value: a source path, a constant, a template, a JSONata expression, a lookup or a child list. */
export type FieldMapping =
  | { path: string; type?: (typeof CONVERSIONS)[number] | undefined; values?: Record<string, string> | undefined }
  | { expr: string; type?: (typeof CONVERSIONS)[number] | undefined }
  | { const: string | number | boolean | null }
  | { template: string }
  | { lookup: { object: string; field: string; value: string; select?: string | undefined } }
  | { each: string; mapping: Record<string, FieldMapping> };

const conversion = z.enum(CONVERSIONS).optional();
export const fieldMapping: z.ZodType<FieldMapping> = z.lazy(() => z.union([
  z.object({ path: z.string().min(1), type: conversion, values: z.record(z.string(), z.string()).optional() }).strict(),
  z.object({ expr: z.string().min(1), type: conversion }).strict(),
  z.object({ const: z.union([z.string(), z.number(), z.boolean(), z.null()]) }).strict(),
  z.object({ template: z.string() }).strict(),
  z.object({ lookup: z.object({ object: z.string().min(1), field: z.string().min(1), value: z.string().min(1), select: z.string().optional() }).strict() }).strict(),
  z.object({ each: z.string().min(1), mapping: z.record(z.string(), fieldMapping) }).strict(),
]));

const objectName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/);

const salesforceTrigger = z.object({
  type: z.literal('salesforce'),
  connection: z.string().min(1),
  object: objectName,
  fields: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_.]*$/)).min(1),
  children: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_.]*$/)).min(1)).default({}),
  where: z.string().optional(),
  interval: duration.default('5s'),
  overlap: duration.default('2s'),
  batchSize: z.number().int().min(1).max(2000).default(200),
  timeout,
}).strict();

const feedTrigger = z.object({
  type: z.literal('feed'),
  service: z.string().min(1),
  operation: z.string().min(1),
  cursorParam: z.string().default('cursor'),
  itemsPath: z.string().default('items'),
  nextCursorPath: z.string().default('nextCursor'),
  idPath: z.string().default('id'),
  versionPath: z.string().default('updatedAt'),
  interval: duration.default('5s'),
  limit: z.number().int().min(1).max(1000).default(100),
  timeout,
}).strict();

// What every action has: a name (runs and `_steps.<name>` refer to it) and a timeout; Salesforce actions, a connection.
const actionBase = { name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/), timeout };
const salesforceBase = { ...actionBase, connection: z.string().min(1) };

const salesforceAction = z.object({
  ...salesforceBase,
  type: z.enum(['salesforce.create', 'salesforce.update', 'salesforce.upsert']),
  object: objectName,
  externalIdField: z.string().optional(),
  mapping: z.record(z.string(), fieldMapping),
}).strict();

const queryAction = z.object({
  ...salesforceBase,
  type: z.literal('salesforce.query'),
  /** SOQL; {expression} placeholders are filled from the event and quoted as SOQL literals. */
  soql: z.string().min(10),
}).strict();

const collectionsAction = z.object({
  ...salesforceBase,
  type: z.literal('salesforce.collections'),
  object: objectName,
  operation: z.enum(['create', 'update', 'upsert']),
  externalIdField: z.string().optional(),
  allOrNone: z.boolean().default(true),
  /** The records to write: a list mapping (`each` + `mapping`). */
  records: z.object({ each: z.string().min(1), mapping: z.record(z.string(), fieldMapping) }).strict(),
}).strict();

const serviceAction = z.object({
  ...actionBase,
  type: z.literal('service'),
  service: z.string().min(1),
  operation: z.string().min(1),
  /** Path parameters, each a mapping. */
  params: z.record(z.string(), fieldMapping).default({}),
  mapping: z.record(z.string(), fieldMapping),
}).strict();

const scheduleTrigger = z.object({
  type: z.literal('schedule'),
  // Cron with optional seconds (every five minutes: "0 0/5 * * * *"), checked when the flow is saved.
  cron: z.string().min(9).refine((text) => {
    try {
      new Cron(text, { paused: true }).stop();
      return true;
    } catch {
      return false;
    }
  }, 'must be a cron expression such as "0/5 * * * *" (minutes) or "0 0/5 * * * *" (with seconds)'),
  timezone: z.string().default('UTC'),
}).strict();

const webhookTrigger = z.object({
  type: z.literal('webhook'),
  /** Where the event's id is in the body (JSONata), when the caller sends no Idempotency-Key. */
  idPath: z.string().optional(),
}).strict();

/** Calls per second or minute: `50/s`, `600/m`. */
const rate = z.string().regex(/^\d+(\.\d+)?\s*\/\s*(s|m)$/, 'must be a rate such as 50/s or 600/m');

export const flowSchema = z.object({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,99}$/, 'must start with a letter; letters, digits, _ and - only'),
  description: z.string().max(500).optional(),
  trigger: z.discriminatedUnion('type', [salesforceTrigger, feedTrigger, scheduleTrigger, webhookTrigger]),
  conditions: z.array(z.string().min(1)).default([]),
  actions: z.array(z.discriminatedUnion('type', [salesforceAction, queryAction, collectionsAction, serviceAction])).min(1),
  /** Events of this flow run at once (never two of one record). */
  concurrency: z.number().int().min(1).max(100).default(10),
  /**
   * When events queue up, actions with a batch form (sObject Collections, a service's batch
   * operation) take up to `size` events a call; a partial batch waits at most `maxWait` to fill.
   */
  batch: z.object({ size: z.number().int().min(1).max(200).default(200), maxWait: duration.default('250ms') }).strict().optional(),
  /**
   * Limits on the connections and named credentials the flow calls, by name; where flows disagree
   * the strictest wins. `maxInFlight` defaults to 25 (Salesforce's concurrent long-request limit).
   */
  limits: z.record(z.string(), z.object({ rateLimit: rate.optional(), maxInFlight: z.number().int().min(1).max(200).optional() }).strict()).default({}),
  retry: z.object({ attempts: z.number().int().min(1).max(20).default(6), initialDelay: duration.default('500ms'), maxDelay: duration.default('60s') }).strict().default({ attempts: 6, initialDelay: '500ms', maxDelay: '60s' }),
}).strict();

export type FlowDefinition = z.infer<typeof flowSchema>;
export type FlowAction = FlowDefinition['actions'][number];
export type FlowTrigger = FlowDefinition['trigger'];

/** The published JSON Schema of flow documents. */
export const flowJsonSchema = () => z.toJSONSchema(flowSchema, { io: 'input', unrepresentable: 'any' });

export interface FlowProblem { line: number; column: number; path: string; message: string }

export class FlowDefinitionError extends Error {
  constructor(readonly problems: FlowProblem[]) {
    super(problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`).join('\n'));
  }
}

export const formatPath = (path: readonly PropertyKey[]) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');

export interface LoadedFlow { definition: FlowDefinition; locate(path: readonly PropertyKey[]): { line: number; column: number } }

/** Parses a flow document (YAML or JSON) and checks it against the schema, every problem with its line. */
export function loadFlow(text: string): LoadedFlow {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const locate = (path: readonly PropertyKey[]) => {
    let node: unknown = doc.contents;
    let found = node as Node | null;
    for (const key of path) {
      if (isMap(node)) node = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key))?.value;
      else if (isSeq(node) && typeof key === 'number') node = node.items[key];
      else break;
      if (!node) break;
      found = node as Node;
    }
    const { line, col } = lines.linePos(found?.range?.[0] ?? 0);
    return { line, column: col };
  };
  if (doc.errors.length) {
    throw new FlowDefinitionError(doc.errors.map((e) => ({ ...(({ line, col }) => ({ line, column: col }))(lines.linePos(e.pos[0])), path: '', message: `invalid YAML: ${e.message.split('\n')[0]}` })));
  }
  const parsed = flowSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    throw new FlowDefinitionError(parsed.error.issues.map((issue) => ({ ...locate(issue.path), path: formatPath(issue.path), message: issue.message })));
  }
  return { definition: parsed.data, locate };
}
