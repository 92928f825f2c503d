import type { FastifyReply } from 'fastify';

/** An ERP error, answered as RFC 9457 problem JSON. */
export class ErpProblem extends Error {
  constructor(readonly status: number, readonly title: string, readonly detail: string, readonly errors?: { path: string; message: string }[]) {
    super(detail);
  }

  toJSON() {
    return { type: 'about:blank', title: this.title, status: this.status, detail: this.detail, ...(this.errors ? { errors: this.errors } : {}) };
  }
}

export const notFound = (what: string) => new ErpProblem(404, 'Not Found', `${what} does not exist`);

/** Answers with a problem as application/problem+json. */
export const sendProblem = (reply: FastifyReply, problem: ErpProblem) => reply.code(problem.status).type('application/problem+json').send(problem.toJSON());
