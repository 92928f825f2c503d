import { Readable } from 'node:stream';
import { XMLParser } from 'fast-xml-parser';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { batchInfo, batchInfoList, jobInfo, xmlError } from '../../data/bulk/classic.js';
import { bulkError, checkIngestJob, findJob, insertJob, moveJob } from '../../data/bulk/jobs.js';
import type { BulkJobRunner } from '../../data/bulk/runner.js';
import type { DataService } from '../../data/service.js';
import type { OAuthContext } from '../../oauth/context.js';
import { ApiError } from '../api-error.js';
import { requireApiSession } from '../bearer-auth.js';
import { parseApiVersion } from './versions.js';

type Params = { version: string; id: string; batch: string };
const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, removeNSPrefix: true });

/** Bulk API 1.0 names its errors in CamelCase; the REST codes this org raises map onto them. */
const CODES: Record<string, string> = {
  INVALID_SESSION_ID: 'InvalidSessionId', NOT_FOUND: 'InvalidJob', INVALIDJOB: 'InvalidJob', INVALIDJOBSTATE: 'InvalidJobState',
  FEATURENOTENABLED: 'FeatureNotEnabled', INSUFFICIENT_ACCESS_OR_READONLY: 'InvalidOperation', API_ERROR: 'ClientInputError',
  API_DISABLED_FOR_ORG: 'ApiDisabledForOrg', REQUEST_LIMIT_EXCEEDED: 'ExceededQuota',
};

/** The job XML clients send (`<jobInfo><operation>…`), as plain fields. */
function jobXml(request: FastifyRequest): Record<string, string> {
  if (typeof request.body !== 'string') throw bulkError(400, 'API_ERROR', 'Send the job as XML (Content-Type: application/xml)');
  let parsed: unknown;
  try {
    parsed = parser.parse(request.body, true);
  } catch (error) {
    throw bulkError(400, 'API_ERROR', `The XML is not well formed: ${(error as Error).message}`);
  }
  const info = (parsed as { jobInfo?: unknown }).jobInfo;
  if (!info || typeof info !== 'object') throw bulkError(400, 'API_ERROR', 'The body must be a <jobInfo> element');
  return Object.fromEntries(Object.entries(info).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

const sendXml = (reply: FastifyReply, text: string, status = 200) => reply.code(status).type('application/xml; charset=UTF-8').send(text);

/**
 * `/services/async/XX.X/…`: Bulk API 1.0 as jsforce speaks it (session in `X-SFDC-Session`, jobs
 * in XML, batches as CSV, results as CSV in input order). Batches run while the job is open.
 */
export async function bulkV1Routes(app: FastifyInstance, ctx: OAuthContext, service: DataService, runner: BulkJobRunner): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.addContentTypeParser('text/csv', (_request, payload, done) => done(null, payload));
    // Errors in Bulk 1.0's XML; an invalid session is a 400 there, which is what jsforce looks for.
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof ApiError) return sendXml(reply, xmlError(CODES[error.errorCode] ?? error.errorCode, error.message), error.status === 401 ? 400 : error.status);
      if (error.statusCode && error.statusCode < 500) return sendXml(reply, xmlError('ClientInputError', error.message), error.statusCode);
      request.log.error({ err: { type: error.name, message: error.message } }, 'unhandled error');
      return sendXml(reply, xmlError('InternalServerError', 'An unexpected error occurred; it has been logged.'), 500);
    });
    scope.addHook('preHandler', async (request) => {
      const version = (request.params as Partial<Params>).version ?? '';
      if (!/^\d+\.\d$/.test(version) || parseApiVersion(`v${version}`) === undefined) throw bulkError(404, 'NOT_FOUND', `Unknown API version ${version}`);
      const token = request.headers['x-sfdc-session'];
      const session = await requireApiSession(ctx, request, typeof token === 'string' ? token : undefined);
      const access = await service.accessFor(session.user);
      if (!access.apiEnabled) throw new ApiError(403, 'API_DISABLED_FOR_ORG', 'The REST API is not enabled for this Organization.');
      if (!service.usage.take()) throw new ApiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
      request.data = { access, version: `v${version}` };
    });
    const db = () => service.orgDb;
    const user = (request: FastifyRequest) => request.data.access.userId;
    const job = (request: FastifyRequest<{ Params: Params }>) => findJob(db(), 'classic', request.params.id, user(request));
    const batches = (jobId: string) => db().selectFrom('bulk_jobs').selectAll().where('parent_id', '=', jobId).orderBy('created_at').orderBy('id').execute();

    scope.post('/job', async (request, reply) => {
      const info = jobXml(request);
      if (info.contentType && info.contentType !== 'CSV') throw bulkError(400, 'API_ERROR', `contentType: only CSV is supported (got ${info.contentType})`);
      const checked = checkIngestJob(service, request.data.access, { operation: info.operation, object: info.object, externalIdFieldName: info.externalIdFieldName });
      const created = await insertJob(db(), { kind: 'classic', ...checked, userId: user(request), version: request.data.version, state: 'Open' }, service.now());
      return sendXml(reply, jobInfo(created, []), 201);
    });

    scope.get<{ Params: Params }>('/job/:id', async (request, reply) => {
      const found = await job(request);
      return sendXml(reply, jobInfo(found, await batches(found.id)));
    });

    scope.post<{ Params: Params }>('/job/:id', async (request, reply) => {
      const found = await job(request);
      const state = jobXml(request).state;
      if (state !== 'Closed' && state !== 'Aborted') throw bulkError(400, 'INVALIDJOBSTATE', `state: a job can be Closed or Aborted (got ${String(state)})`);
      if (found.state !== 'Open') throw bulkError(400, 'INVALIDJOBSTATE', `Job ${found.id} is ${found.state}, not Open`);
      const moved = await moveJob(db(), found, { state }, service.now());
      if (state === 'Aborted') await db().updateTable('bulk_jobs').set({ state: 'Aborted', updated_at: service.now() }).where('parent_id', '=', found.id).where('state', 'in', ['UploadComplete', 'InProgress']).execute();
      return sendXml(reply, jobInfo(moved, await batches(found.id)));
    });

    scope.post<{ Params: Params }>('/job/:id/batch', { bodyLimit: 10 * 1024 * 1024 }, async (request, reply) => {
      const found = await job(request);
      if (found.state !== 'Open') throw bulkError(400, 'INVALIDJOBSTATE', `Batches can be added while the job is Open (it is ${found.state})`);
      if (!(request.body instanceof Readable)) throw bulkError(400, 'API_ERROR', 'Send the batch as CSV (Content-Type: text/csv)');
      const { key } = await service.blobs.write(request.body);
      const batch = await insertJob(db(), {
        kind: 'batch', operation: found.operation, object: found.object, ...(found.external_id_field ? { externalIdField: found.external_id_field } : {}),
        userId: found.created_by, version: found.api_version, state: 'UploadComplete', parentId: found.id, dataKey: key,
      }, service.now());
      runner.wake();
      return sendXml(reply, batchInfo(batch), 201);
    });

    scope.get<{ Params: Params }>('/job/:id/batch', async (request, reply) => {
      const found = await job(request);
      return sendXml(reply, batchInfoList(await batches(found.id)));
    });

    const batchOf = async (request: FastifyRequest<{ Params: Params }>) => {
      const found = await job(request);
      const batch = (await batches(found.id)).find((b) => b.id === request.params.batch);
      if (!batch) throw bulkError(400, 'INVALIDJOB', `No batch ${request.params.batch} in job ${found.id}`);
      return batch;
    };

    scope.get<{ Params: Params }>('/job/:id/batch/:batch', async (request, reply) => {
      const batch = await batchOf(request);
      return sendXml(reply, batchInfo(batch));
    });

    scope.get<{ Params: Params }>('/job/:id/batch/:batch/result', async (request, reply) => {
      const batch = await batchOf(request);
      if (batch.state !== 'JobComplete' && batch.state !== 'Failed') throw bulkError(400, 'INVALIDJOBSTATE', `Batch ${batch.id} is not complete`);
      const size = runner.files.size(batch.id, 'results');
      return reply.type('text/csv; charset=UTF-8').send(size ? runner.files.read(batch.id, 'results', size) : '"Id","Success","Created","Error"\n');
    });
  }, { prefix: '/services/async/:version' });
}
