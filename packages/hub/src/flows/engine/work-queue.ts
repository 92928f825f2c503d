import type { Kysely } from 'kysely';
import type { FlowEventTable, HubDatabase } from '../../store/schema.js';
import type { Reachability } from '../../store/reachable.js';
import type { Outcome } from './event-store.js';

/** What a queue needs of an event that became pending. */
export type PendingEvent = Pick<FlowEventTable, 'id' | 'flow_id' | 'next_attempt_at'>;

/**
 * How events reach the workers that run them. The store's flow_events table is always the record
 * (dedupe, order per record, runs, dead letters); this decides who runs which event: the one process
 * (store-work-queue.ts), or any process of a cluster (cluster/job-queue.ts).
 */
export interface WorkQueue {
  /** Whether other hub processes share the store and the work. */
  readonly clustered: boolean;
  /** At start: takes over what this process (or, in a cluster, a dead one) left claimed. */
  recover(): Promise<void>;
  /** Claims up to `limit` of the flow's due events for this process: oldest first, at most one per record. */
  take(flowId: string, limit: number, now: number): Promise<FlowEventTable[]>;
  /** Gives claimed events that are still pending back, due again at `at`. */
  giveBack(events: FlowEventTable[], at: number): Promise<void>;
  /** In the transaction that records outcomes: what the queue records with them (a retry is due again). */
  settle(trx: Kysely<HubDatabase>, outcomes: Outcome[]): Promise<void>;
  /** In the transaction that made events pending (queued, replayed): hands them to the workers. */
  deliver(trx: Kysely<HubDatabase>, events: PendingEvent[]): Promise<void>;
  /** How long an idle flow's worker may sleep before it looks for work again. */
  idleWait(flowId: string, now: number): Promise<number>;
  /**
   * Runs `work` unless another process is running work of the same name (a flow's poll, retention);
   * resolves undefined when it did not run. One process: always runs.
   */
  exclusive<T>(name: string, work: () => Promise<T>): Promise<T | undefined>;
  /** In a cluster, whether the queue answers (for /readyz); one process has no queue of its own. */
  reachable?(): Promise<Reachability>;
  close(): Promise<void>;
}
