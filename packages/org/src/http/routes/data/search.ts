import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parameterizedSearch, search, type ParameterizedSearch } from '../../../data/search/sosl.js';
import type { DataService } from '../../../data/service.js';
import { ApiError } from '../../api-error.js';
import type { VersionParams } from './context.js';

const list = (value: string | undefined) => value?.split(',').map((s) => s.trim()).filter(Boolean);
const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));

/** GET parameters as the POST body: `sobject` repeated, `<Obj>.fields`, `<Obj>.where`, `<Obj>.limit`. */
function fromQuery(request: FastifyRequest): ParameterizedSearch {
  const params = new URLSearchParams(request.url.split('?')[1] ?? '');
  const one = (name: string) => params.get(name) ?? undefined;
  return {
    q: one('q') ?? '',
    ...(one('in') ? { in: one('in')! } : {}),
    ...(one('fields') ? { fields: list(one('fields'))! } : {}),
    sobjects: params.getAll('sobject').map((name) => ({
      name,
      ...(one(`${name}.fields`) ? { fields: list(one(`${name}.fields`))! } : {}),
      ...(one(`${name}.where`) ? { where: one(`${name}.where`)! } : {}),
      ...(one(`${name}.limit`) ? { limit: number(one(`${name}.limit`))! } : {}),
    })),
    ...(one('overallLimit') ? { overallLimit: number(one('overallLimit'))! } : {}),
    ...(one('defaultLimit') ? { defaultLimit: number(one('defaultLimit'))! } : {}),
  };
}

function checked(input: unknown): ParameterizedSearch {
  const body = input as Partial<ParameterizedSearch> | null;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'JSON_PARSER_ERROR', 'The body must be a JSON object with q');
  if (typeof body.q !== 'string' || body.q.trim() === '') throw new ApiError(400, 'MISSING_ARGUMENT', 'q: the search text is required');
  if (body.sobjects !== undefined && (!Array.isArray(body.sobjects) || body.sobjects.some((o) => !o || typeof o.name !== 'string'))) throw new ApiError(400, 'INVALID_API_INPUT', 'sobjects: a list of {"name": …} objects');
  return body as ParameterizedSearch;
}

export function searchRoutes(app: FastifyInstance, service: DataService): void {
  app.get<{ Params: VersionParams; Querystring: { q?: string } }>('/search', async (request) => {
    if (typeof request.query.q !== 'string' || request.query.q.trim() === '') throw new ApiError(400, 'MALFORMED_SEARCH', 'A search needs SOSL in the q parameter, e.g. FIND {Acme} RETURNING Account(Id, Name)');
    return search(service, request.data.access, request.query.q, request.data.version);
  });
  app.get<{ Params: VersionParams }>('/parameterizedSearch', async (request) => parameterizedSearch(service, request.data.access, checked(fromQuery(request)), request.data.version));
  app.post<{ Params: VersionParams }>('/parameterizedSearch', async (request) => parameterizedSearch(service, request.data.access, checked(request.body), request.data.version));
}
