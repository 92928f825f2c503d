import type { FastifyInstance, FastifyRequest } from 'fastify';
import { OAuthError } from '../oauth/errors.js';

export type FormBody = Record<string, string | string[]>;

export const FORM_BODY_LIMIT = 64 * 1024;

/** Parses a form body keeping repeated parameters visible (as arrays), so they can be refused. */
export function parseForm(body: string): FormBody {
  const form: FormBody = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const prior = form[key];
    form[key] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return form;
}

export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_req, body, done) => done(null, parseForm(body as string)));
  app.addContentTypeParser(['application/x-yaml', 'application/yaml', 'text/yaml', 'text/plain'], { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));
}

/** OAuth's rule (RFC 6749 §3.1): every parameter at most once. */
export function singleValued(form: FormBody): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(form)) {
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `parameter ${key} is repeated; send each parameter once`);
    out[key] = value;
  }
  return out;
}

export function isForm(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** The single-valued form parameters of an OAuth endpoint request, or OAuth's invalid_request. */
export function formParams(request: FastifyRequest, endpoint: string): Record<string, string> {
  if (!isForm(request)) throw new OAuthError('invalid_request', `the ${endpoint} endpoint accepts only application/x-www-form-urlencoded bodies`);
  return singleValued((request.body ?? {}) as FormBody);
}
