import { didYouMean } from './did-you-mean.js';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import { ACTION_SCHEMAS } from './actions/registry.js';
import { duration } from './schema-parts.js';
import { TRIGGER_SCHEMAS } from './triggers/registry.js';

export { durationMs, CONVERSIONS, type FieldMapping } from './schema-parts.js';

/**
 * A flow as a document: a trigger, optional conditions, actions with field mappings. The schema is
 * published as JSON Schema (`flowJsonSchema`) and every problem is reported with its line and path.
 */

/** Calls per second or minute: `50/s`, `600/m`. */
const rate = z.string().regex(/^\d+(\.\d+)?\s*\/\s*(s|m)$/, 'must be a rate such as 50/s or 600/m');

export const flowSchema = z.object({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,99}$/, 'must start with a letter; letters, digits, _ and - only'),
  description: z.string().max(500).optional(),
  trigger: z.discriminatedUnion('type', TRIGGER_SCHEMAS).describe('what starts a run: salesforce, feed, schedule or webhook'),
  conditions: z.array(z.string().min(1)).default([]).describe('JSONata conditions on the event; a run happens only when all are true'),
  actions: z.array(z.discriminatedUnion('type', ACTION_SCHEMAS)).min(1).describe('run in order for each event; _steps.<name> holds each one\'s result'),
  /** Events of this flow run at once (never two of one record). */
  concurrency: z.number().int().min(1).max(100).default(10).describe('events of this flow run at once (never two of one record)'),
  /**
   * When events queue up, actions with a batch form (sObject Collections, a service's batch
   * operation) take up to `size` events a call; a partial batch waits at most `maxWait` to fill.
   */
  batch: z.object({ size: z.number().int().min(1).max(200).default(200), maxWait: duration.default('250ms') }).strict().optional()
    .describe('when events queue up, actions with a batch form take up to size events a call; a partial batch waits at most maxWait'),
  /**
   * Limits on the connections and named credentials the flow calls, by name; where flows disagree
   * the strictest wins. `maxInFlight` defaults to 25 (Salesforce's concurrent long-request limit).
   */
  limits: z.record(z.string(), z.object({ rateLimit: rate.optional(), maxInFlight: z.number().int().min(1).max(200).optional() }).strict()).default({})
    .describe('per connection or named credential name: calls per second or minute, and calls at once (default 25); the strictest flow wins'),
  retry: z.object({ attempts: z.number().int().min(1).max(20).default(6), initialDelay: duration.default('500ms'), maxDelay: duration.default('60s') }).strict().default({ attempts: 6, initialDelay: '500ms', maxDelay: '60s' })
    .describe('retryable failures are tried again with exponential backoff; after the last attempt the event is a dead letter'),
}).strict();

export type FlowDefinition = z.infer<typeof flowSchema>;
export type FlowAction = FlowDefinition['actions'][number];
export type FlowTrigger = FlowDefinition['trigger'];

/** The published JSON Schema of flow documents. */
export const flowJsonSchema = () => ({ title: 'Handshake flow', ...z.toJSONSchema(flowSchema, { io: 'input', unrepresentable: 'any' }) });

/** Every key a flow document may use, anywhere in it: what a misspelt key is compared with. */
let vocabulary: string[] | undefined;
function flowKeys(): string[] {
  if (vocabulary) return vocabulary;
  const keys = new Set<string>();
  const stack: unknown[] = [flowJsonSchema()];
  while (stack.length) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    const properties = (node as { properties?: Record<string, unknown> }).properties;
    if (properties && typeof properties === 'object') Object.keys(properties).forEach((k) => keys.add(k));
    stack.push(...Object.values(node));
  }
  return (vocabulary = [...keys]);
}

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
  try {
    return readFlow(text);
  } catch (error) {
    // A document with an alias bomb, or nested thousands deep, is refused as a bad flow, not a crash.
    if (error instanceof ReferenceError) throw new FlowDefinitionError([{ line: 1, column: 1, path: '', message: 'the document uses too many aliases (at most 100)' }]);
    if (error instanceof RangeError) throw new FlowDefinitionError([{ line: 1, column: 1, path: '', message: 'the document is nested too deeply' }]);
    throw error;
  }
}

function readFlow(text: string): LoadedFlow {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  /** The line of the value at `path`, or with `atKey` of its key (where a misspelt key is). */
  const locate = (path: readonly PropertyKey[], atKey = false) => {
    let node: unknown = doc.contents;
    let found = node as Node | null;
    for (const [i, key] of path.entries()) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
        node = atKey && i === path.length - 1 ? pair?.key : pair?.value;
      } else if (isSeq(node) && typeof key === 'number') node = node.items[key];
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
  const parsed = flowSchema.safeParse(doc.toJS({ maxAliasCount: 100 }) ?? {});
  if (!parsed.success) {
    throw new FlowDefinitionError(parsed.error.issues.flatMap((issue) => (issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ ...locate([...issue.path, key], true), path: formatPath([...issue.path, key]), message: `unknown key "${key}"${didYouMean(key, flowKeys())}` }))
      : [{ ...locate(issue.path), path: formatPath(issue.path), message: issue.message }])));
  }
  return { definition: parsed.data, locate };
}
