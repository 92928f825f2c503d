import type { FlowAction } from '../definition.js';
import type { ActionKind } from './action-kind.js';
import { salesforceCollections } from './salesforce-collections.js';
import { salesforceQuery } from './salesforce-query.js';
import { salesforceRecords } from './salesforce-records.js';
import { serviceCall } from './service.js';

/** Every action kind by its `type`: a new kind is one file and one line here. */
const ACTION_KINDS: { [T in FlowAction['type']]: ActionKind<Extract<FlowAction, { type: T }>> } = {
  'salesforce.create': salesforceRecords,
  'salesforce.update': salesforceRecords,
  'salesforce.upsert': salesforceRecords,
  'salesforce.query': salesforceQuery,
  'salesforce.collections': salesforceCollections,
  service: serviceCall,
};

export function actionKind<A extends FlowAction>(action: A): ActionKind<A> {
  return ACTION_KINDS[action.type] as unknown as ActionKind<A>;
}
