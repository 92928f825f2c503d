import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { HubDatabase } from '../../store/schema.js';
import { claimEvents, dueEvents, nextDueAt, releaseClaims, releaseEvents } from './event-store.js';
import type { WorkQueue } from './work-queue.js';

/**
 * How long a claim holds its events: longer than the slowest unit of work (every action's timeout,
 * with room). In one process it only matters if the process lives on after losing track of a unit.
 */
const CLAIM_MS = 5 * 60_000;
/**
 * The longest an idle flow's worker sleeps without a signal. Its own polls, the API's webhooks,
 * "run now" and replays wake it at once.
 */
const MAX_IDLE_MS = 5000;

/** One hub process: workers claim due events straight from the store. */
export class StoreWorkQueue implements WorkQueue {
  readonly clustered = false;
  constructor(private readonly db: Kysely<HubDatabase>, private readonly now: () => number) {}

  /** One process owns every claim: what it finds claimed was in flight when it last stopped. */
  async recover(): Promise<void> {
    await releaseClaims(this.db, this.now());
  }

  async take(flowId: string, limit: number, now: number) {
    const due = await dueEvents(this.db, flowId, now, limit);
    if (!due.length) return [];
    const got = await claimEvents(this.db, due.map((e) => e.id), randomUUID(), now, now + CLAIM_MS);
    return due.filter((e) => got.has(e.id));
  }

  giveBack(events: { id: string }[], at: number): Promise<void> {
    return releaseEvents(this.db, events.map((e) => e.id), at);
  }

  /** The outcome itself releases the claim. */
  async settle(): Promise<void> {}

  /** The workers read flow_events. */
  async deliver(): Promise<void> {}

  /** Until the next pending event falls due (a retry), or until woken. */
  async idleWait(flowId: string, now: number): Promise<number> {
    const at = await nextDueAt(this.db, flowId);
    return at === undefined ? MAX_IDLE_MS : Math.min(MAX_IDLE_MS, at - now);
  }

  exclusive<T>(_name: string, work: () => Promise<T>): Promise<T> {
    return work();
  }

  async close(): Promise<void> {}
}
