import { createHash } from 'node:crypto';
import { z } from 'zod';
import { salesforceCall, salesforceClient } from '../calls/clients.js';
import { PermanentError } from '../calls/errors.js';
import { capped, failedAnswer, MAX_FILE_BYTES, mediaTypeDeclared, multipartBody, namedCredentialClient, operationPath, serviceOperation } from '../calls/file-transfer.js';
import { externalService, type ServiceOperation } from '../external-services.js';
import { compileMapping } from '../mapping.js';
import { actionBase, durationMs, fieldMapping } from '../schema-parts.js';
import type { FieldMapping } from '../definition.js';
import { SALESFORCE_API_VERSION } from '../../connectors/salesforce.js';
import { createAction } from './action-kind.js';

export const fileDownloadSchema = z.object({
  ...actionBase,
  type: z.literal('file.download'),
  service: z.string().min(1).describe('the external service\'s name'),
  operation: z.string().min(1).describe('an operation of it that answers with a file (application/pdf, image/*, application/octet-stream…)'),
  params: z.record(z.string(), fieldMapping).default({}),
  connection: z.string().min(1).describe('the Salesforce connection the file is saved through'),
  file: z.object({
    title: fieldMapping,
    pathOnClient: fieldMapping,
    /** The record the file is attached to (FirstPublishLocationId). */
    linkTo: fieldMapping.optional(),
  }).strict(),
  maxBytes: z.number().int().min(1).max(MAX_FILE_BYTES).default(MAX_FILE_BYTES),
  idempotencyField: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*__c$/, 'a custom field name (ending in __c)').optional()
    .describe('a text field of ContentVersion marked External ID: the action stores its key there and, run again after a crash, finds the file instead of attaching it twice'),
}).strict().meta({ id: 'FileDownloadAction', description: 'Download a file from an external service operation into a new Salesforce ContentVersion (seed 001), streamed: the file is never held whole.' });

/** The marker is a SHA-256 of the action's idempotency key, base64url: 43 characters, safe in SOQL. */
const MARKER_LENGTH = 43;

type FileFields = z.infer<typeof fileDownloadSchema>['file'];
/** The file's field mappings that are set (linkTo is optional). */
const fileMappings = (file: FileFields): Record<string, FieldMapping> => Object.fromEntries(Object.entries(file).filter((entry): entry is [string, FieldMapping] => entry[1] !== undefined));

interface DownloadInput { params: Record<string, unknown>; file: { title?: unknown; pathOnClient?: unknown; linkTo?: unknown } }

/**
 * `file.download`: an external file into a new ContentVersion, linked to a record. The answer of
 * the service's operation is piped into the org's multipart insert as it arrives, so memory stays
 * flat whatever the size; its media type must be one the operation declares, and a file over
 * `maxBytes` fails before it is stored.
 */
export const fileDownload = createAction<'file.download'>({
  async check(v, action, at) {
    v.mapping([...at, 'params'], action.params);
    v.mapping([...at, 'file'], fileMappings(action.file));
    await v.salesforceConnection([...at, 'connection'], action.connection);
    let operation: ServiceOperation | undefined;
    try {
      operation = (await externalService(v.ctx, action.service)).operations.get(action.operation);
    } catch {
      v.problem([...at, 'service'], `unknown external service "${action.service}"`);
      return;
    }
    if (!operation) v.problem([...at, 'operation'], `${action.service} has no operation ${action.operation}`);
    else if (!operation.fileTypes) v.problem([...at, 'operation'], `${action.operation} does not answer with a file (its OpenAPI responses declare no binary media type such as application/pdf)`);
    else for (const name of operation.pathParams) if (!(name in action.params)) v.problem([...at, 'params'], `the operation's path needs the parameter ${name}`);
    if (action.idempotencyField) {
      const describe = await v.describe(action.connection, 'ContentVersion');
      const field = typeof describe === 'string' ? undefined : describe.fields.find((f) => f.name.toLowerCase() === action.idempotencyField!.toLowerCase());
      if (typeof describe === 'string') v.problem([...at, 'connection'], describe);
      else if (!field || !field.externalId || !field.createable || field.type !== 'string' || (field.length ?? 0) < MARKER_LENGTH) {
        v.problem([...at, 'idempotencyField'], `${action.idempotencyField} must be a text field of ContentVersion (${MARKER_LENGTH} characters or more) marked External ID that the connection's user can create${field ? '' : ' (it is not there, or the user cannot see it)'}`);
      }
    }
  },

  async prepare(_ctx, action, source): Promise<DownloadInput> {
    return { params: await compileMapping(action.params)(source, {}), file: await compileMapping(fileMappings(action.file))(source, {}) };
  },

  async run(ctx, action, { input, idempotencyKey, runAs }) {
    const { params, file } = input as DownloadInput;
    const marker = action.idempotencyField ? { field: action.idempotencyField, value: createHash('sha256').update(idempotencyKey).digest('base64url') } : undefined;
    if (marker) {
      // Run before (a retry after a crash that followed the insert): the file is there already.
      const { body } = await salesforceCall(ctx, action.connection, `/query?q=${encodeURIComponent(`SELECT Id, ContentSize FROM ContentVersion WHERE ${marker.field} = '${marker.value}' LIMIT 1`)}`);
      const found = (body as { records: { Id: string; ContentSize: number }[] }).records[0];
      if (found) return { contentVersionId: found.Id, bytes: found.ContentSize, alreadyStored: true };
    }
    const { namedCredential, operation } = await serviceOperation(ctx, action.service, action.operation);
    const source = await namedCredentialClient(ctx, namedCredential, runAs);
    // The timeout bounds the whole transfer: a file takes longer than a call.
    const signal = AbortSignal.timeout(durationMs(action.timeout) * 20);
    const answer = await source.request(operationPath(operation, params), { method: operation.method, signal });
    if (!answer.ok) throw await failedAnswer(source, action.operation, answer);
    const type = (answer.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!mediaTypeDeclared(operation.fileTypes ?? [], type)) {
      await answer.discard();
      throw new PermanentError(`${action.operation} answered ${type || 'no content type'}, which its OpenAPI document does not declare (${(operation.fileTypes ?? []).join(', ')})`);
    }
    const length = Number(answer.header('content-length'));
    if (length > action.maxBytes) {
      await answer.discard();
      throw new PermanentError(`the file is ${length} bytes, over the ${action.maxBytes} allowed`);
    }
    const pathOnClient = String(file.pathOnClient ?? 'file');
    const fields = { Title: String(file.title ?? pathOnClient), PathOnClient: pathOnClient, ...(file.linkTo ? { FirstPublishLocationId: String(file.linkTo) } : {}), ...(marker ? { [marker.field]: marker.value } : {}) };
    // A multipart ContentVersion insert, as Salesforce takes it: the fields as JSON, then VersionData, streamed.
    const { boundary, body } = multipartBody([
      { name: 'entity_content', type: 'application/json', body: Buffer.from(JSON.stringify(fields)) },
      { name: 'VersionData', filename: pathOnClient, type, body: capped(answer.stream(), action.maxBytes) },
    ]);
    const org = await salesforceClient(ctx, action.connection);
    const saved = await org.request(`/services/data/${SALESFORCE_API_VERSION}/sobjects/ContentVersion`, {
      method: 'POST', signal, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body,
    });
    if (!saved.ok) throw await failedAnswer(org, 'saving the file', saved);
    return { contentVersionId: ((await saved.json()) as { id: string }).id, bytes: Number.isFinite(length) ? length : undefined };
  },

  async target(_ctx, action) {
    return `connection:${action.connection}`;
  },
  // Without a marker field a retry after the file was stored stores it again: there is no key to find the first by.
  notIdempotent: (action) => (action.idempotencyField ? undefined : 'file.download creates a new ContentVersion each time it runs; a retry after a crash can attach the file twice. Set idempotencyField to a ContentVersion text field marked External ID'),
});
