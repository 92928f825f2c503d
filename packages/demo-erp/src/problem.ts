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
