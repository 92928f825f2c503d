import type { z } from 'zod';

/** An error in the hub API's format, RFC 9457 problem details, naming each field that is wrong. */
/** One thing wrong with a request: where (a field path; in a document also its line and column) and what. */
export interface ProblemError { path: string; message: string; line?: number; column?: number }

/** How an error reads in a terminal: `line:column path: message`. */
export const problemErrorText = (e: ProblemError) => `${e.line !== undefined ? `${e.line}:${e.column ?? 1} ` : ''}${e.path}: ${e.message}`;

export class Problem extends Error {
  override name = 'Problem';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: ProblemError[] = [],
    /** Headers the answer carries (Retry-After, WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }

  body() {
    return { type: 'about:blank', title: this.title, status: this.status, detail: this.detail, ...(this.errors.length ? { errors: this.errors } : {}) };
  }
}

/** Every zod issue as a problem error, its path dotted (under `prefix` when given). */
export function zodIssues(error: z.ZodError, prefix = ''): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(body)', message: i.message + (i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '') }));
}

export const invalid = (errors: { path: string; message: string }[]) =>
  new Problem(400, 'Invalid request', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
export const notFound = (what: string) => new Problem(404, 'Not found', `${what} does not exist`);
