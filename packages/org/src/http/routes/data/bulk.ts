import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BlobTooLargeError } from '../../../data/files/blob-store.js';
import { bulkError, checkIngestJob, findJob, insertJob, jobInfo, listJobs, moveJob, QUERY_OPERATIONS, TERMINAL, type JobKind } from '../../../data/bulk/jobs.js';
import { checkBulkQuery, resultPage } from '../../../data/bulk/query.js';
import type { BulkJobRunner } from '../../../data/bulk/runner.js';
import type { DataService } from '../../../data/service.js';
import type { ResultFile } from '../../../data/bulk/job-files.js';
import { parseApiVersion } from '../versions.js';
import type { VersionParams } from './context.js';

type JobParams = VersionParams & { id: string };
const LIST_PAGE = 1000;
/** Bulk API 2.0 takes up to 150 MB of base64 per upload, about 100 MB of CSV. */
const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

function jsonBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bulkError(400, 'API_ERROR', 'The request body must be a JSON object');
  return body as Record<string, unknown>;
}

function minimumVersion(request: FastifyRequest, kind: JobKind): void {
  const needed = kind === 'ingest' ? 41 : 47;
  if ((parseApiVersion(request.data.version) ?? 0) < needed) throw bulkError(404, 'NOT_FOUND', `Bulk API 2.0 ${kind} jobs need API version ${needed}.0 or later`);
}

function ingestJob(service: DataService, request: FastifyRequest) {
  const body = jsonBody(request);
  if (body.contentType !== undefined && body.contentType !== 'CSV') throw bulkError(400, 'INVALIDJOB', 'contentType: only CSV is supported');
  return { ...checkIngestJob(service, request.data.access, body as { operation: unknown; object: unknown; externalIdFieldName: unknown }), lineEnding: body.lineEnding, columnDelimiter: body.columnDelimiter };
}

const csv = (reply: FastifyReply) => reply.type('text/csv; charset=UTF-8');

export function bulkRoutes(app: FastifyInstance, service: DataService, runner: BulkJobRunner): void {
  // The CSV upload streams to a file; nothing else in the data API takes text/csv.
  app.addContentTypeParser('text/csv', (_request, payload, done) => done(null, payload));
  const user = (request: FastifyRequest) => request.data.access.userId;
  const db = () => service.orgDb;
  const now = () => service.now();

  app.post<{ Params: VersionParams }>('/jobs/ingest', async (request) => {
    minimumVersion(request, 'ingest');
    const job = await insertJob(db(), { kind: 'ingest', ...ingestJob(service, request), userId: user(request), version: request.data.version, state: 'Open' }, now());
    return jobInfo(job, false);
  });

  app.put<{ Params: JobParams }>('/jobs/ingest/:id/batches', { bodyLimit: MAX_UPLOAD_BYTES }, async (request, reply) => {
    const job = await findJob(db(), 'ingest', request.params.id, user(request));
    if (job.state !== 'Open') throw bulkError(400, 'INVALIDJOBSTATE', `Data can only be uploaded while the job is Open (it is ${job.state})`);
    if (!(request.body instanceof Readable)) throw bulkError(400, 'API_ERROR', 'Upload the data as Content-Type: text/csv');
    let key: string;
    try {
      key = (await service.blobs.write(request.body)).key;
    } catch (error) {
      if (error instanceof BlobTooLargeError) throw bulkError(413, 'API_ERROR', `The upload is larger than ${service.blobs.maxBytes} bytes`);
      throw error;
    }
    try {
      await moveJob(db(), job, { uploads: job.uploads + 1, data_key: key }, now());
    } catch (error) {
      service.blobs.remove(key);
      throw error;
    }
    if (job.data_key) service.blobs.remove(job.data_key);
    return reply.code(201).send();
  });

  for (const kind of ['ingest', 'query'] as const) {
    app.get<{ Params: JobParams }>(`/jobs/${kind}/:id`, async (request) => jobInfo(await findJob(db(), kind, request.params.id, user(request)), true));

    app.patch<{ Params: JobParams }>(`/jobs/${kind}/:id`, async (request) => {
      const job = await findJob(db(), kind, request.params.id, user(request));
      const state = jsonBody(request).state;
      if (state === 'Aborted') {
        if (TERMINAL.has(job.state)) throw bulkError(400, 'INVALIDJOBSTATE', `Aborting already ${job.state === 'JobComplete' ? 'Completed' : job.state} Job not allowed`);
        return jobInfo(await moveJob(db(), job, { state: 'Aborted' }, now()), false);
      }
      if (state !== 'UploadComplete' || kind === 'query') throw bulkError(400, 'INVALIDJOBSTATE', `state: a job can be set to ${kind === 'ingest' ? 'UploadComplete or ' : ''}Aborted (got ${String(state)})`);
      if (job.state !== 'Open') throw bulkError(400, 'INVALIDJOBSTATE', `Only an Open job can be closed (it is ${job.state})`);
      if (job.uploads > 1) throw bulkError(400, 'INVALIDJOB', `Found multipe contents for job: <${job.id}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`);
      if (job.uploads === 0) throw bulkError(400, 'INVALIDJOB', `No data was uploaded for job ${job.id}: PUT the CSV to its contentUrl first`);
      const closed = await moveJob(db(), job, { state: 'UploadComplete' }, now());
      runner.wake();
      return jobInfo(closed, false);
    });

    app.delete<{ Params: JobParams }>(`/jobs/${kind}/:id`, async (request, reply) => {
      const job = await findJob(db(), kind, request.params.id, user(request));
      if (!TERMINAL.has(job.state) && !(kind === 'ingest' && job.state === 'UploadComplete')) throw bulkError(400, 'INVALIDJOBSTATE', `A job can be deleted once it is UploadComplete, JobComplete, Aborted or Failed (it is ${job.state})`);
      await db().deleteFrom('bulk_jobs').where('id', '=', job.id).where('state', '=', job.state).execute();
      runner.files.remove(job.id);
      if (job.data_key) service.blobs.remove(job.data_key);
      return reply.code(204).send();
    });

    app.get<{ Params: VersionParams; Querystring: { queryLocator?: string } }>(`/jobs/${kind}`, async (request) => {
      const jobs = await listJobs(db(), user(request), kind, request.query.queryLocator, LIST_PAGE + 1);
      const page = jobs.slice(0, LIST_PAGE);
      const more = jobs.length > LIST_PAGE;
      return { done: !more, records: page.map((j) => jobInfo(j, false)), nextRecordsUrl: more ? `/services/data/${request.data.version}/jobs/${kind}?queryLocator=${page.at(-1)!.id}` : null };
    });
  }

  for (const file of ['successfulResults', 'failedResults', 'unprocessedrecords'] as const satisfies readonly ResultFile[]) {
    app.get<{ Params: JobParams }>(`/jobs/ingest/:id/${file}`, async (request, reply) => {
      const job = await findJob(db(), 'ingest', request.params.id, user(request));
      if (!TERMINAL.has(job.state)) throw bulkError(400, 'INVALIDJOBSTATE', `Results are ready once the job is complete (it is ${job.state})`);
      const size = runner.files.size(job.id, file);
      return csv(reply).send(size ? runner.files.read(job.id, file, size) : '');
    });
  }

  app.post<{ Params: VersionParams }>('/jobs/query', async (request) => {
    minimumVersion(request, 'query');
    const body = jsonBody(request);
    const operation = body.operation ?? 'query';
    if (typeof operation !== 'string' || !(QUERY_OPERATIONS as readonly string[]).includes(operation)) throw bulkError(400, 'INVALIDJOB', `operation: must be query or queryAll (got ${String(operation)})`);
    if (typeof body.query !== 'string' || body.query.trim() === '') throw bulkError(400, 'INVALIDJOB', 'query: the SOQL is required');
    const object = await checkBulkQuery(service, request.data.access, body.query);
    const job = await insertJob(db(), { kind: 'query', operation, object, query: body.query, userId: user(request), version: request.data.version, lineEnding: body.lineEnding, columnDelimiter: body.columnDelimiter, state: 'UploadComplete' }, now());
    runner.wake();
    return jobInfo(job, false);
  });

  app.get<{ Params: JobParams; Querystring: { locator?: string; maxRecords?: string } }>('/jobs/query/:id/results', async (request, reply) => {
    const job = await findJob(db(), 'query', request.params.id, user(request));
    if (job.api_version !== request.data.version) throw bulkError(409, 'API_ERROR', `Results must be read with the job's API version, ${job.api_version}`);
    if (job.state !== 'JobComplete') throw bulkError(400, 'INVALIDJOBSTATE', `Results are ready once the job is JobComplete (it is ${job.state})`);
    const max = request.query.maxRecords === undefined ? undefined : Number(request.query.maxRecords);
    if (max !== undefined && (!Number.isInteger(max) || max < 1)) throw bulkError(400, 'INVALIDJOB', `maxRecords: a whole number above 0 (got ${request.query.maxRecords})`);
    const locator = request.query.locator === 'null' || request.query.locator === '' ? undefined : request.query.locator;
    const page = resultPage(runner.files, job, locator, max);
    return csv(reply).header('sforce-locator', page.next).header('sforce-numberofrecords', String(page.count)).send(Readable.from(concat(page.stream)));
  });
}

async function* concat(streams: Readable[]): AsyncGenerator<Buffer> {
  for (const s of streams) for await (const chunk of s) yield chunk as Buffer;
}

