import { Cron } from 'croner';
import type { FlowTrigger } from '../definition.js';
import type { PollResult } from './trigger.js';
import { z } from 'zod';

type ScheduleTrigger = Extract<FlowTrigger, { type: 'schedule' }>;


export const scheduleTrigger = z.object({
  type: z.literal('schedule'),
  // Cron with optional seconds (every five minutes: "0 0/5 * * * *"), checked when the flow is saved.
  cron: z.string().min(9).refine((text) => {
    try {
      new Cron(text, { paused: true }).stop();
      return true;
    } catch {
      return false;
    }
  }, 'must be a cron expression such as "0/5 * * * *" (minutes) or "0 0/5 * * * *" (with seconds)'),
  timezone: z.string().default('UTC'),
}).strict().meta({ id: 'ScheduleTrigger', description: 'Run on a cron schedule; each tick is one event.' });

/** At most this many missed ticks are caught up after downtime; older ones are skipped. */
const MAX_CATCH_UP = 100;

/**
 * Scheduled flows: each tick since the last one fired becomes an event keyed by its time, so a tick
 * fires once even across restarts. A new flow starts from now (it does not fire for the past).
 */
export function pollSchedule(trigger: ScheduleTrigger, cursor: string | undefined, now: number): PollResult & { nextAt: number } {
  const cron = new Cron(trigger.cron, { timezone: trigger.timezone, paused: true });
  try {
    let last = cursor ? new Date(cursor) : new Date(now);
    const events: PollResult['events'] = [];
    for (;;) {
      const next = cron.nextRun(last);
      if (!next || next.getTime() > now || events.length >= MAX_CATCH_UP) break;
      events.push({ dedupeKey: `tick:${next.toISOString()}`, payload: { firedAt: next.toISOString() } });
      last = next;
    }
    const following = cron.nextRun(last);
    return { events, cursor: last.toISOString(), more: false, nextAt: following ? following.getTime() : now + 60_000 };
  } finally {
    cron.stop();
  }
}
