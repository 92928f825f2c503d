import type { Kysely } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { FlowEventTable, HubDatabase } from '../../store/schema.js';
import type { WorkQueue } from './work-queue.js';

/** Rows per multi-row INSERT: 12 columns each stays far below every store's parameter limit. */
export const ROWS_PER_STATEMENT = 200;

/**
 * A new pending event for a flow, keyed for dedupe (the key column holds 255 characters). Its id is
 * time-ordered (UUIDv7), so inserts append to the primary key's index instead of dirtying a random
 * page of it per row.
 */
export function pendingEvent(flowId: string, dedupeKey: string, payload: unknown, now: number, recordKey?: string, caller?: string): FlowEventTable {
  return {
    ...(caller ? { caller } : {}),
    id: uuidv7(), flow_id: flowId, dedupe_key: dedupeKey.slice(0, 255), record_key: recordKey?.slice(0, 255) ?? null, claim: null, payload: JSON.stringify(payload), status: 'pending', attempts: 0,
    next_attempt_at: now, last_error: null, created_at: now, updated_at: now,
  };
}

/**
 * Queues events and hands the new ones to the work queue; one whose flow already has its dedupe key
 * is skipped. Returns how many were new. `trx` is a transaction, so that in a cluster the events and
 * their jobs commit together (or with the trigger's cursor).
 */
export async function queueEvents(trx: Kysely<HubDatabase>, work: WorkQueue, events: FlowEventTable[]): Promise<number> {
  let added = 0;
  for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
    const rows = await trx.insertInto('flow_events').values(events.slice(i, i + ROWS_PER_STATEMENT))
      .onConflict((oc) => oc.columns(['flow_id', 'dedupe_key']).doNothing()).returning(['id', 'flow_id', 'next_attempt_at']).execute();
    await work.deliver(trx, rows);
    added += rows.length;
  }
  return added;
}
