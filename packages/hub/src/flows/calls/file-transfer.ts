import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { HubContext } from '../../context.js';
import { clientFor } from '../../connections/connections.js';
import { resolveNamedCredential } from '../../credentials/named-credentials.js';
import { externalService, type ServiceOperation } from '../external-services.js';
import { cached, type ConnectionClient } from './clients.js';
import { PermanentError, RetryableError } from './errors.js';

/** Salesforce's largest ContentVersion through the REST API, and the org's. */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;

/** An operation of a registered service, and the named credential its calls go through. */
export async function serviceOperation(ctx: HubContext, serviceName: string, operationId: string): Promise<{ namedCredential: string; operation: ServiceOperation }> {
  const service = await externalService(ctx, serviceName);
  const operation = service.operations.get(operationId);
  if (!operation) throw new PermanentError(`${serviceName} has no operation ${operationId} (version ${service.version})`);
  return { namedCredential: service.namedCredential, operation };
}

/** The operation's path with its parameters filled in, each encoded. */
export function operationPath(operation: ServiceOperation, params: Record<string, unknown>): string {
  return operation.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined || value === null) throw new PermanentError(`path parameter ${name} is empty`);
    return encodeURIComponent(String(value));
  });
}

/** The client of a named credential as `runAs` (for calls that stream, outside callJson). */
export function namedCredentialClient(ctx: HubContext, namedCredential: string, runAs: string | undefined): Promise<ConnectionClient> {
  return cached(ctx, `named:${namedCredential}:${runAs ?? ''}`, async () => clientFor(ctx, await resolveNamedCredential(ctx, namedCredential, runAs)));
}

/** Whether a media type is one of those declared (`image/*` covers image/png). */
export function mediaTypeDeclared(types: string[], type: string): boolean {
  return types.some((t) => t.toLowerCase() === type || (t.endsWith('/*') && type.startsWith(t.slice(0, -1).toLowerCase())));
}

/** The bytes of a file, failing the stream (and so the upload it feeds) once more than `max` have passed. */
export async function* capped(source: Readable, max: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of source) {
    bytes += (chunk as Buffer).length;
    if (bytes > max) throw new PermanentError(`the file is larger than ${max} bytes`);
    yield chunk as Buffer;
  }
}

/** One part of a multipart/form-data body: a value (JSON, text) or a file, whose bytes are streamed. */
export interface FormPart { name: string; filename?: string | undefined; type: string; body: Buffer | AsyncIterable<Buffer> }

/** A multipart/form-data body (RFC 7578), made as it is sent: a file part is never held whole. */
export function multipartBody(parts: FormPart[]): { boundary: string; body: Readable } {
  const boundary = `handshake${randomBytes(12).toString('hex')}`;
  const body = Readable.from((async function* () {
    for (const part of parts) {
      // A name or file name cannot end the header line or the quoted string it is in.
      const quoted = (text: string) => `"${text.replace(/["\r\n\\]/g, '_')}"`;
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name=${quoted(part.name)}${part.filename === undefined ? '' : `; filename=${quoted(part.filename)}`}\r\nContent-Type: ${part.type}\r\n\r\n`);
      if (Buffer.isBuffer(part.body)) yield part.body;
      else yield* part.body;
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  })());
  return { boundary, body };
}

/** A failed answer as the error its status calls for (throttling and server errors are retried). */
export async function failedAnswer(client: ConnectionClient, what: string, answer: { status: number; text(): Promise<string> }): Promise<Error> {
  const text = client.redact((await answer.text()).slice(0, 300));
  const message = `${what}: HTTP ${answer.status}: ${text}`;
  return answer.status === 401 || answer.status === 429 || answer.status >= 500 ? new RetryableError(message) : new PermanentError(message);
}
