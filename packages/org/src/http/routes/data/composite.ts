import type { FastifyInstance, FastifyRequest } from 'fastify';
import { describeObject } from '../../../data/records/describe.js';
import { runQuery, DEFAULT_BATCH } from '../../../data/soql/run.js';
import type { DataService } from '../../../data/service.js';
import { ApiError } from '../../api-error.js';
import { parseApiVersion } from '../versions.js';
import type { VersionParams } from './context.js';
import { createOne, deleteOne, readable, retrieve, retrieveByExternalId, updateOne, upsertOne, type Answer, type RecordCall } from './record-operations.js';
import { DATA_BODY_LIMIT } from './sobjects.js';

const MAX_SUBREQUESTS = 25;
const MAX_QUERIES = 5;
const HALTED = 'The transaction was rolled back since another operation in the same transaction failed.';

interface Operation {
  method: string;
  path: RegExp;
  query?: true;
  run(call: RecordCall, match: string[], params: URLSearchParams, body: unknown): Promise<Answer>;
}

/** What a subrequest may call (Salesforce's list: sObject resources and queries), matched after `vXX.X/`. */
const OPERATIONS: Operation[] = [
  { method: 'GET', path: /^sobjects\/([^/]+)\/describe$/, run: async (call, [type]) => ({ status: 200, body: describeObject(call.service.schema, call.access, readable(call, type!), call.version) }) },
  { method: 'POST', path: /^sobjects\/([^/]+)$/, run: (call, [type], _p, body) => createOne(call, readable(call, type!), body) },
  { method: 'GET', path: /^sobjects\/([^/]+)\/([^/]+)$/, run: (call, [type, id], params) => retrieve(call, readable(call, type!), id!, params.get('fields') ?? undefined) },
  { method: 'PATCH', path: /^sobjects\/([^/]+)\/([^/]+)$/, run: (call, [type, id], _p, body) => updateOne(call, readable(call, type!), id!, body) },
  { method: 'DELETE', path: /^sobjects\/([^/]+)\/([^/]+)$/, run: (call, [type, id]) => deleteOne(call, readable(call, type!), id!) },
  { method: 'GET', path: /^sobjects\/([^/]+)\/([^/]+)\/([^/]+)$/, run: (call, [type, field, value], params) => retrieveByExternalId(call, readable(call, type!), field!, value!, params.get('fields') ?? undefined) },
  { method: 'PATCH', path: /^sobjects\/([^/]+)\/([^/]+)\/([^/]+)$/, run: (call, [type, field, value], _p, body) => upsertOne(call, readable(call, type!), field!, value!, body) },
  ...(['query', 'queryAll'] as const).map((name): Operation => ({
    method: 'GET', path: new RegExp(`^${name}/?$`), query: true,
    run: async (call, _m, params) => {
      const q = params.get('q');
      if (q === null) throw new ApiError(400, 'MALFORMED_QUERY', 'A query needs the SOQL in the q parameter');
      return { status: 200, body: await runQuery(call.service, call.access, q, { includeDeleted: name === 'queryAll', batchSize: DEFAULT_BATCH, version: call.version }) };
    },
  })),
];

interface Subrequest { method: string; url: string; body?: unknown }

/** Finds the operation a subrequest URL names; `prefix` is what comes before the version (`/services/data/` or nothing in a batch). */
function operationFor(sub: Subrequest, prefix: string, where: string): { op: Operation; match: string[]; params: URLSearchParams; version: string } {
  if ([...sub.url].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new ApiError(400, 'INVALID_API_INPUT', `${where}: the url contains a control character (CR, LF, NUL…)`);
  const [path = '', search = ''] = sub.url.split('?', 2);
  const rest = path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
  const slash = rest?.indexOf('/') ?? -1;
  const version = rest && slash > 0 ? rest.slice(0, slash) : '';
  if (rest === undefined || parseApiVersion(version) === undefined) throw new ApiError(400, 'INVALID_API_INPUT', `${where}: the url must start with ${prefix}vXX.X/ (got ${sub.url})`);
  const tail = rest!.slice(slash + 1).replace(/\/+$/, '');
  const method = sub.method.toUpperCase();
  for (const op of OPERATIONS) {
    const m = op.method === method ? op.path.exec(tail) : null;
    if (m) return { op, match: m.slice(1).map(decodeURIComponent), params: new URLSearchParams(search), version };
  }
  throw new ApiError(400, 'INVALID_API_INPUT', `${where}: ${method} ${sub.url} is not a resource a composite request can call (sObject records, describe, query, queryAll)`);
}

async function answerOf(run: () => Promise<Answer>): Promise<Answer> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, body: error.body() };
    throw error;
  }
}

const REFERENCE = /@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}/g;

/** `@{ref.path}` in a url or a body, from an earlier subrequest's answer; undefined when it names nothing. */
function resolveReference(results: Map<string, Answer>, ref: string, path: string): unknown {
  const answer = results.get(ref);
  if (!answer || answer.status >= 400) return undefined;
  let value: unknown = answer.body;
  for (const [, name, index] of path.matchAll(/\.([A-Za-z0-9_]+)|\[(\d+)\]/g)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = name !== undefined ? (value as Record<string, unknown>)[name] : (value as unknown[])[Number(index)];
  }
  return value;
}

class MissingReference extends Error {}

function substitute(value: unknown, results: Map<string, Answer>, depth = 0): unknown {
  if (depth > 32) return value;
  if (typeof value === 'string') {
    const whole = /^@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}$/.exec(value);
    if (whole) {
      const resolved = resolveReference(results, whole[1]!, whole[2]!);
      if (resolved === undefined) throw new MissingReference(value);
      return resolved;
    }
    return value.replace(REFERENCE, (text, ref: string, path: string) => {
      const resolved = resolveReference(results, ref, path);
      if (resolved === undefined || (resolved !== null && typeof resolved === 'object')) throw new MissingReference(text);
      return String(resolved);
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, results, depth + 1));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, results, depth + 1)]));
  return value;
}

function objectBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
  return body as Record<string, unknown>;
}

interface CompositeSubrequest extends Subrequest { referenceId: string }

/** A list of composite subrequests, checked whole before anything runs; `where` names it in errors. */
function readSubrequests(list: unknown, where: string, max: number): CompositeSubrequest[] {
  if (!Array.isArray(list) || list.length === 0) throw new ApiError(400, 'INVALID_API_INPUT', `${where}: a list of subrequests is required`);
  if (list.length > max) throw new ApiError(400, 'INVALID_API_INPUT', `${where}: at most ${max} subrequests (got ${list.length})`);
  const seen = new Set<string>();
  const subrequests = list.map((raw: unknown, i): CompositeSubrequest => {
    const at = `${where}[${i}]`;
    const sub = raw as Partial<CompositeSubrequest> | null;
    if (!sub || typeof sub !== 'object' || typeof sub.method !== 'string' || typeof sub.url !== 'string') throw new ApiError(400, 'INVALID_API_INPUT', `${at}: method and url are required`);
    if (typeof sub.referenceId !== 'string' || !/^[A-Za-z][A-Za-z0-9_]{0,79}$/.test(sub.referenceId)) throw new ApiError(400, 'INVALID_API_INPUT', `${at}.referenceId: required; letters, digits and underscores, starting with a letter`);
    if (seen.has(sub.referenceId)) throw new ApiError(400, 'INVALID_API_INPUT', `${at}.referenceId: "${sub.referenceId}" is used twice`);
    seen.add(sub.referenceId);
    return { method: sub.method, url: sub.url, referenceId: sub.referenceId, ...(sub.body !== undefined ? { body: sub.body } : {}) };
  });
  // Refused before anything runs: a subrequest that can never be served (its reference filled in or not).
  const queries = subrequests.filter((s, i) => operationFor({ ...s, url: s.url.replace(REFERENCE, 'x') }, '/services/data/', `${where}[${i}]`).op.query).length;
  if (queries > MAX_QUERIES) throw new ApiError(400, 'INVALID_API_INPUT', `${where}: at most ${MAX_QUERIES} query subrequests (got ${queries})`);
  return subrequests;
}

function readAllOrNone(body: Record<string, unknown>): boolean {
  if (body.allOrNone !== undefined && typeof body.allOrNone !== 'boolean') throw new ApiError(400, 'JSON_PARSER_ERROR', 'allOrNone must be true or false');
  return body.allOrNone === true;
}

class Rollback extends Error {
  constructor(readonly results: Map<string, Answer>, readonly failed: string) {
    super('rolled back');
  }
}

function halted(message: string): Answer {
  return { status: 400, body: [{ errorCode: 'PROCESSING_HALTED', message }] };
}

/**
 * Subrequests in order, each able to use the answers before it. With allOrNone they share one
 * transaction: the first failure rolls everything back, and every other subrequest says so.
 */
async function runSubrequests(service: DataService, access: RecordCall['access'], subrequests: CompositeSubrequest[], allOrNone: boolean, where: string) {
  const runAll = async (scoped: DataService) => {
    const results = new Map<string, Answer>();
    for (const [i, sub] of subrequests.entries()) {
      let answer: Answer;
      try {
        const url = substitute(sub.url, results) as string;
        const body = substitute(sub.body, results);
        const { op, match, params, version } = operationFor({ ...sub, url }, '/services/data/', `${where}[${i}]`);
        answer = await answerOf(() => op.run({ service: scoped, access, version }, match, params, body));
      } catch (error) {
        if (!(error instanceof MissingReference)) throw error;
        answer = halted(`Invalid reference specified. No value for ${error.message} found in the subrequests before ${sub.referenceId}.`);
      }
      results.set(sub.referenceId, answer);
      if (allOrNone && answer.status >= 400) throw new Rollback(results, sub.referenceId);
    }
    return results;
  };
  let results: Map<string, Answer>;
  try {
    results = allOrNone ? await service.transact(runAll) : await runAll(service);
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
    results = new Map(subrequests.map((s) => [s.referenceId, s.referenceId === error.failed ? error.results.get(s.referenceId)! : halted(HALTED)]));
  }
  return {
    ok: [...results.values()].every((a) => a.status < 400),
    compositeResponse: subrequests.map((s) => {
      const a = results.get(s.referenceId)!;
      return { body: a.status === 204 ? null : a.body, httpHeaders: a.location ? { Location: a.location } : {}, httpStatusCode: a.status, referenceId: s.referenceId };
    }),
  };
}

/** POST /composite. */
async function runComposite(service: DataService, request: FastifyRequest) {
  const body = objectBody(request);
  const allOrNone = readAllOrNone(body);
  const { compositeResponse } = await runSubrequests(service, request.data.access, readSubrequests(body.compositeRequest, 'compositeRequest', MAX_SUBREQUESTS), allOrNone, 'compositeRequest');
  return { compositeResponse };
}

const MAX_GRAPHS = 75;
const MAX_GRAPH_NODES = 500;

/** POST /composite/graph: graphs of composite subrequests, each all or nothing on its own. */
async function runGraphs(service: DataService, request: FastifyRequest) {
  const list = objectBody(request).graphs;
  if (!Array.isArray(list) || list.length === 0) throw new ApiError(400, 'INVALID_API_INPUT', 'graphs: a list of graphs is required');
  if (list.length > MAX_GRAPHS) throw new ApiError(400, 'INVALID_API_INPUT', `graphs: at most ${MAX_GRAPHS} graphs (got ${list.length})`);
  const ids = new Set<string>();
  const graphs = list.map((raw: unknown, i) => {
    const graph = raw as { graphId?: unknown; compositeRequest?: unknown } | null;
    if (!graph || typeof graph.graphId !== 'string' || graph.graphId === '' || ids.has(graph.graphId)) throw new ApiError(400, 'INVALID_API_INPUT', `graphs[${i}].graphId: a unique id is required`);
    ids.add(graph.graphId);
    return { graphId: graph.graphId, subrequests: readSubrequests(graph.compositeRequest, `graphs[${i}].compositeRequest`, MAX_GRAPH_NODES) };
  });
  const nodes = graphs.reduce((n, g) => n + g.subrequests.length, 0);
  if (nodes > MAX_GRAPH_NODES) throw new ApiError(400, 'INVALID_API_INPUT', `graphs: at most ${MAX_GRAPH_NODES} nodes in all (got ${nodes})`);
  const out = [];
  for (const [i, g] of graphs.entries()) {
    const { ok, compositeResponse } = await runSubrequests(service, request.data.access, g.subrequests, true, `graphs[${i}].compositeRequest`);
    out.push({ graphId: g.graphId, graphResponse: { compositeResponse }, isSuccessful: ok });
  }
  return { graphs: out };
}

/** POST /composite/batch: independent subrequests (urls from `vXX.X/`), each committing on its own. */
async function runBatch(service: DataService, request: FastifyRequest) {
  const body = objectBody(request);
  const list = body.batchRequests;
  if (!Array.isArray(list) || list.length === 0) throw new ApiError(400, 'INVALID_API_INPUT', 'batchRequests: a list of subrequests is required');
  if (list.length > MAX_SUBREQUESTS) throw new ApiError(400, 'INVALID_API_INPUT', `batchRequests: at most ${MAX_SUBREQUESTS} subrequests (got ${list.length})`);
  const subs = list.map((raw: unknown, i) => {
    const sub = raw as { method?: unknown; url?: unknown; richInput?: unknown } | null;
    if (!sub || typeof sub.method !== 'string' || typeof sub.url !== 'string') throw new ApiError(400, 'INVALID_API_INPUT', `batchRequests[${i}]: method and url are required`);
    const s: Subrequest = { method: sub.method, url: sub.url.replace(/^\/services\/data\//, ''), body: sub.richInput };
    return { sub: s, target: operationFor(s, '', `batchRequests[${i}]`) };
  });
  const results: { statusCode: number; result: unknown }[] = [];
  let halt = false;
  for (const { sub, target } of subs) {
    if (halt) {
      results.push({ statusCode: 412, result: [{ errorCode: 'BATCH_PROCESSING_HALTED', message: 'Batch processing halted per request' }] });
      continue;
    }
    const a = await answerOf(() => target.op.run({ service, access: request.data.access, version: target.version }, target.match, target.params, sub.body));
    results.push({ statusCode: a.status, result: a.status === 204 ? null : a.body });
    if (a.status >= 400 && body.haltOnError === true) halt = true;
  }
  return { hasErrors: results.some((r) => r.statusCode >= 400), results };
}

export function compositeRoutes(app: FastifyInstance, service: DataService): void {
  app.post<{ Params: VersionParams }>('/composite', { bodyLimit: DATA_BODY_LIMIT }, (request) => runComposite(service, request));
  app.post<{ Params: VersionParams }>('/composite/batch', { bodyLimit: DATA_BODY_LIMIT }, (request) => runBatch(service, request));
  app.post<{ Params: VersionParams }>('/composite/graph', { bodyLimit: DATA_BODY_LIMIT }, (request) => runGraphs(service, request));
}
