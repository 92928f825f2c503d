import type { HubContext } from '../../context.js';
import type { FlowTrigger } from '../definition.js';
import { pollFeed } from './feed-changes.js';
import { pollSalesforce } from './salesforce-changes.js';
import { pollSchedule } from './schedule.js';
import type { PollResult } from './trigger.js';

/** How a polled trigger reads what changed after its cursor; `nextAt` is when it wants polling again, if it knows. */
export type Poll<T extends FlowTrigger> = (ctx: HubContext, trigger: T, cursor: string | undefined) => Promise<PollResult & { nextAt?: number }>;

/**
 * Every trigger kind by its `type`: a new kind is one file and one line here. Webhooks are not
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
