import type { FlowAction } from '../definition.js';
import type { ActionKind } from './action-kind.js';
import { salesforceCollections, salesforceCollectionsSchema } from './salesforce-collections.js';
import { salesforceQuery, salesforceQuerySchema } from './salesforce-query.js';
import { salesforceRecords, salesforceRecordsSchema } from './salesforce-records.js';
import { serviceCall, serviceSchema } from './service.js';
import { fileDownload, fileDownloadSchema } from './file-download.js';
import { fileUpload, fileUploadSchema } from './file-upload.js';

/** Every action kind's schema, for the flow schema (definition.ts). */
export const ACTION_SCHEMAS = [salesforceRecordsSchema, salesforceQuerySchema, salesforceCollectionsSchema, serviceSchema, fileDownloadSchema, fileUploadSchema] as const;

/** Every action kind by its `type`: a new kind is one file, its schema above, and its line here. */
const ACTION_KINDS: { [T in FlowAction['type']]: ActionKind<Extract<FlowAction, { type: T }>> } = {
  'salesforce.create': salesforceRecords,
  'salesforce.update': salesforceRecords,
  'salesforce.upsert': salesforceRecords,
  'salesforce.query': salesforceQuery,
  'salesforce.collections': salesforceCollections,
  service: serviceCall,
  'file.download': fileDownload,
  'file.upload': fileUpload,
};

export function actionKind<A extends FlowAction>(action: A): ActionKind<A> {
  return ACTION_KINDS[action.type] as unknown as ActionKind<A>;
}
