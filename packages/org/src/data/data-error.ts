import { ApiError } from '../http/api-error.js';

/** One record's problem in a DML call, said the way Salesforce says it. */
export interface RecordError { errorCode: string; message: string; fields: string[] }

/** A DML error raised for a single-record call; collections turn it into a per-record result instead. */
export class DmlError extends ApiError {
  constructor(readonly errors: RecordError[], status = 400) {
    super(status, errors[0]?.errorCode ?? 'UNKNOWN_EXCEPTION', errors[0]?.message ?? 'unknown error', errors[0]?.fields);
  }

  override body() {
    return this.errors.map((e) => ({ message: e.message, errorCode: e.errorCode, fields: e.fields }));
  }
}

export const recordError = (errorCode: string, message: string, fields: string[] = []): RecordError => ({ errorCode, message, fields });

/** SOQL's errors quote the query and point at the column, as Salesforce does. */
export function queryError(errorCode: string, soql: string, message: string, near?: string): ApiError {
  const index = near ? soql.toLowerCase().indexOf(near.toLowerCase()) : -1;
  const column = index >= 0 ? index + 1 : 1;
  return new ApiError(400, errorCode, `\n${soql}\n${' '.repeat(column - 1)}^\nERROR at Row:1:Column:${column}\n${message}`);
}

export const noSuchColumn = (soql: string, field: string, object: string) => queryError(
  'INVALID_FIELD', soql,
  `No such column '${field}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
  field,
);

export const unsupportedType = (soql: string, object: string) => queryError(
  'INVALID_TYPE', soql,
  `sObject type '${object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
  object,
);

export const malformedQuery = (message: string) => new ApiError(400, 'MALFORMED_QUERY', message);
