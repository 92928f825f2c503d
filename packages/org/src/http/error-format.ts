import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../oauth/errors.js';
import { SetupError, formatProblem } from '../setup/problems.js';
import { ApiError } from './api-error.js';

/** OAuth endpoints and identity URLs answer OAuth error JSON; everything else Salesforce's error array. */
export function speaksOAuth(url: string): boolean {
  return url.startsWith('/services/oauth2/') || url.startsWith('/id/');
}

/** Fastify's own request errors (body parsing, size, media type), said in the caller's terms. */
function describeFrameworkError(error: FastifyError): { status: number; oauth: string; api: string; message: string } | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, oauth: 'invalid_request', api: 'REQUEST_ENTITY_TOO_LARGE', message: 'The request body is too large.' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, oauth: 'invalid_request', api: 'UNSUPPORTED_MEDIA_TYPE', message: `Content type ${error.message.replace(/^Unsupported Media Type: ?/, '') || ''} is not supported here.`.replace('  ', ' ') };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, oauth: 'invalid_request', api: 'JSON_PARSER_ERROR', message: `The request body is not valid JSON: ${error.message}` };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, oauth: 'invalid_request', api: 'INVALID_REQUEST', message: 'The Content-Length header does not match the body.' };
    default:
      if (error.validation) return { status: 400, oauth: 'invalid_request', api: 'INVALID_REQUEST', message: error.message };
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return { status: error.statusCode, oauth: 'invalid_request', api: 'INVALID_REQUEST', message: error.message };
      return undefined;
  }
}

export function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  return reply.code(error.status).headers({ 'cache-control': 'no-store', ...error.headers }).send(error.toJSON());
}

export function registerErrorFormat(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const oauth = speaksOAuth(request.url);
    if (error instanceof OAuthError) return sendOAuthError(reply, error);
    if (error instanceof ApiError) return reply.code(error.status).send(error.body());
    if (error instanceof SetupError) {
      return reply.code(400).send(error.problems.map((p) => ({ message: formatProblem(p), errorCode: 'INVALID_SETUP', fields: [p.path] })));
    }
    const known = describeFrameworkError(error);
    if (known) {
      return oauth
        ? sendOAuthError(reply, new OAuthError(known.oauth, known.message, known.status))
        : reply.code(known.status).send(new ApiError(known.status, known.api, known.message).body());
    }
    request.log.error({ err: { type: error.name, message: error.message, stack: error.stack } }, 'unhandled error');
    return oauth
      ? sendOAuthError(reply, new OAuthError('server_error', 'An unexpected error occurred; it has been logged.', 500))
      : reply.code(500).send(new ApiError(500, 'UNKNOWN_EXCEPTION', 'An unexpected error occurred; it has been logged.').body());
  });
  app.setNotFoundHandler((request, reply) => {
    if (speaksOAuth(request.url)) return sendOAuthError(reply, new OAuthError('invalid_request', `no such endpoint: ${request.method} ${request.url.split('?')[0]}`, 404));
    return reply.code(404).send(new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist').body());
  });
}
