/** A REST API error in Salesforce's shape: `[{"message","errorCode","fields"}]` with an HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  body(): { message: string; errorCode: string; fields?: string[] }[] {
    return [{ message: this.message, errorCode: this.errorCode, ...(this.fields ? { fields: this.fields } : {}) }];
  }
}

export const invalidSession = () => new ApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
export const insufficientAccess = (message = 'insufficient access rights on object id') => new ApiError(403, 'INSUFFICIENT_ACCESS_OR_READONLY', message);
export const notFound = (message = 'The requested resource does not exist') => new ApiError(404, 'NOT_FOUND', message);
