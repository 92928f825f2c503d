import { Readable } from 'node:stream';
import { z } from 'zod';
import { SALESFORCE_API_VERSION } from '../../connectors/salesforce.js';
import { lookup } from 'mime-types';
import { salesforceCall, salesforceClient } from '../calls/clients.js';
import { PermanentError } from '../calls/errors.js';
import { capped, failedAnswer, MAX_FILE_BYTES, mediaTypeDeclared, multipartBody, namedCredentialClient, operationPath, serviceOperation } from '../calls/file-transfer.js';
import { externalService, type ServiceOperation } from '../external-services.js';
import { compileMapping } from '../mapping.js';
import { actionBase, durationMs, fieldMapping } from '../schema-parts.js';
import { createAction } from './action-kind.js';

export const fileUploadSchema = z.object({
  ...actionBase,
  type: z.literal('file.upload'),
  connection: z.string().min(1).describe('the Salesforce connection the file is read through'),
  /** The ContentVersion whose bytes are sent. */
  contentVersionId: fieldMapping,
  service: z.string().min(1).describe('the external service\'s name'),
  operation: z.string().min(1).describe('an operation of it (PUT or POST) whose request body is a file'),
  params: z.record(z.string(), fieldMapping).default({}),
  maxBytes: z.number().int().min(1).max(MAX_FILE_BYTES).default(MAX_FILE_BYTES),
}).strict().meta({ id: 'FileUploadAction', description: 'Send a Salesforce ContentVersion\'s bytes to an external service operation (seed 001), streamed: the file is never held whole.' });

interface UploadInput { versionId: unknown; params: Record<string, unknown> }

/**
 * How a file of `fileType` is sent to the operation: as the body, with its own type if the
 * operation declares it, else as application/octet-stream; or as the file part of a
 * multipart/form-data form. Undefined: the operation takes none of these.
 */
function uploadForm(operation: ServiceOperation, fileType: string): { type: string; field?: string } | undefined {
  const types = operation.uploadTypes ?? [];
  if (mediaTypeDeclared(types, fileType) && fileType !== 'multipart/form-data') return { type: fileType };
  if (mediaTypeDeclared(types, 'application/octet-stream')) return { type: 'application/octet-stream' };
  if (operation.uploadField !== undefined) return { type: 'multipart/form-data', field: operation.uploadField };
  return undefined;
}

/**
 * `file.upload`: a ContentVersion's bytes to an operation that takes a file. The org's download is
 * piped into the request as it arrives. The file's media type (from its extension) must be one the
 * operation declares, or the operation must take application/octet-stream; the call carries an
 * Idempotency-Key, so a retried upload is recognised by the service.
 */
export const fileUpload = createAction<'file.upload'>({
  async check(v, action, at) {
    v.mapping([...at, 'params'], action.params);
    v.mapping(at, { contentVersionId: action.contentVersionId });
    await v.salesforceConnection([...at, 'connection'], action.connection);
    let operation: ServiceOperation | undefined;
    try {
      operation = (await externalService(v.ctx, action.service)).operations.get(action.operation);
    } catch {
      v.problem([...at, 'service'], `unknown external service "${action.service}"`);
      return;
    }
    if (!operation) v.problem([...at, 'operation'], `${action.service} has no operation ${action.operation}`);
    else if (!operation.uploadTypes || !['PUT', 'POST'].includes(operation.method)) v.problem([...at, 'operation'], `${action.operation} does not take a file (a PUT or POST whose request body is a binary media type such as application/pdf)`);
    else for (const name of operation.pathParams) if (!(name in action.params)) v.problem([...at, 'params'], `the operation's path needs the parameter ${name}`);
  },

  async prepare(_ctx, action, source): Promise<UploadInput> {
    const mapped = await compileMapping({ versionId: action.contentVersionId })(source, {});
    return { versionId: mapped.versionId, params: await compileMapping(action.params)(source, {}) };
  },

  async run(ctx, action, { input, idempotencyKey, runAs }) {
    const { versionId, params } = input as UploadInput;
    if (typeof versionId !== 'string' || !/^068[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/.test(versionId)) throw new PermanentError(`contentVersionId must be a ContentVersion Id (068…), not ${JSON.stringify(versionId)}`);
    const { namedCredential, operation } = await serviceOperation(ctx, action.service, action.operation);
    const signal = AbortSignal.timeout(durationMs(action.timeout) * 20);
    // VersionData is answered as application/octet-stream, as Salesforce does: the file's type comes from its extension.
    const { body: fields } = await salesforceCall(ctx, action.connection, `/sobjects/ContentVersion/${versionId}?fields=FileExtension,PathOnClient`);
    const { FileExtension: extension, PathOnClient: fileName } = fields as { FileExtension?: string | null; PathOnClient?: string | null };
    const fileType = (extension && lookup(extension)) || 'application/octet-stream';
    const sending = uploadForm(operation, fileType);
    if (!sending) throw new PermanentError(`the file is ${fileType} (.${extension ?? ''}), which ${action.operation} does not take (${(operation.uploadTypes ?? []).join(', ')})`);
    const org = await salesforceClient(ctx, action.connection);
    const file = await org.request(`/services/data/${SALESFORCE_API_VERSION}/sobjects/ContentVersion/${versionId}/VersionData`, { signal });
    if (!file.ok) throw await failedAnswer(org, 'reading the file', file);
    const length = Number(file.header('content-length'));
    if (length > action.maxBytes) {
      await file.discard();
      throw new PermanentError(`the file is ${length} bytes, over the ${action.maxBytes} allowed`);
    }
    const bytes = capped(file.stream(), action.maxBytes);
    const target = await namedCredentialClient(ctx, namedCredential, runAs);
    const form = sending.field === undefined ? undefined : multipartBody([{ name: sending.field, filename: fileName ?? `file.${extension ?? 'bin'}`, type: fileType, body: bytes }]);
    const sent = await target.request(operationPath(operation, params), {
      method: operation.method, signal,
      headers: form
        ? { 'content-type': `multipart/form-data; boundary=${form.boundary}`, 'idempotency-key': idempotencyKey }
        : { 'content-type': sending.type, 'idempotency-key': idempotencyKey, ...(Number.isFinite(length) ? { 'content-length': String(length) } : {}) },
      body: form ? form.body : Readable.from(bytes),
    });
    if (!sent.ok) throw await failedAnswer(target, action.operation, sent);
    const text = target.redactAnswer(await sent.text());
    try {
      return text ? JSON.parse(text) as unknown : { status: sent.status };
    } catch {
      return text;
    }
  },

  async target(ctx, action) {
    return `named:${(await externalService(ctx, action.service)).namedCredential}`;
  },
  notIdempotent: () => undefined,
});
