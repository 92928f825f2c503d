import type { HubContext } from '../../context.js';
import type { SaveCheck } from '../actions/action-kind.js';
import type { FlowTrigger } from '../definition.js';
import { checkFeedTrigger, feedTrigger, pollFeed } from './feed-changes.js';
import { checkSalesforceTrigger, pollSalesforce, salesforceTrigger } from './salesforce-changes.js';
import { pollSchedule, scheduleTrigger } from './schedule.js';
import type { PollResult, PollScope } from './trigger.js';
import { checkWebhookTrigger, webhookTrigger } from './webhook-trigger.js';

/** Every trigger kind's schema, for the flow schema (definition.ts). */
export const TRIGGER_SCHEMAS = [salesforceTrigger, feedTrigger, scheduleTrigger, webhookTrigger] as const;

type Check<T extends FlowTrigger> = (v: SaveCheck, trigger: T) => Promise<void>;

/** Save-time checks of the triggers that look something up (a schedule has nothing to). */
const TRIGGER_CHECKS: { [T in FlowTrigger['type']]?: Check<Extract<FlowTrigger, { type: T }>> } = {
  salesforce: checkSalesforceTrigger,
  feed: checkFeedTrigger,
  webhook: checkWebhookTrigger,
};

export async function checkTrigger<T extends FlowTrigger>(v: SaveCheck, trigger: T): Promise<void> {
  await (TRIGGER_CHECKS[trigger.type] as Check<T> | undefined)?.(v, trigger);
}

/** How a polled trigger reads what changed after its cursor; `nextAt` is when it wants polling again, if it knows. */
export type Poll<T extends FlowTrigger> = (ctx: HubContext, trigger: T, cursor: string | undefined, scope: PollScope) => Promise<PollResult & { nextAt?: number }>;

/**
 * Every polled trigger kind by its `type`: a new kind is one file and its lines here. Webhooks are not
 * polled (their events arrive through the API), so they have no entry.
 */
const POLLED_TRIGGERS: { [T in FlowTrigger['type']]?: Poll<Extract<FlowTrigger, { type: T }>> } = {
  salesforce: pollSalesforce,
  feed: pollFeed,
  schedule: async (ctx, trigger, cursor) => pollSchedule(trigger, cursor, ctx.now()),
};

export function pollOf<T extends FlowTrigger>(trigger: T): Poll<T> | undefined {
  return POLLED_TRIGGERS[trigger.type] as Poll<T> | undefined;
}
