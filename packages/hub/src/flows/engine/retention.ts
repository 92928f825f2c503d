import type { Kysely } from 'kysely';
import type { HubDatabase } from '../../store/schema.js';

/** Rows deleted per statement: small enough that a prune never holds the store for long. */
const CHUNK = 5000;

/**
 * Deletes finished history older than the cutoff: runs, and events that are done (their dedupe
 * keys only matter within a trigger's overlap window, seconds, so a retention of days is safe).
 * Pending and dead-lettered events are kept whatever their age: they are work not yet done.
 */
export async function pruneFlowHistory(db: Kysely<HubDatabase>, cutoff: number): Promise<{ runs: number; events: number }> {
  let runs = 0;
  let events = 0;
  for (;;) {
    const result = await db.deleteFrom('flow_runs')
      .where('id', 'in', (eb) => eb.selectFrom('flow_runs').select('id').where('started_at', '<', cutoff).limit(CHUNK))
      .executeTakeFirst();
    runs += Number(result.numDeletedRows);
    if (Number(result.numDeletedRows) < CHUNK) break;
  }
  for (;;) {
    const result = await db.deleteFrom('flow_events')
      .where('id', 'in', (eb) => eb.selectFrom('flow_events').select('id').where('status', '=', 'done').where('next_attempt_at', '<', cutoff).limit(CHUNK))
      .executeTakeFirst();
    events += Number(result.numDeletedRows);
    if (Number(result.numDeletedRows) < CHUNK) break;
  }
  return { runs, events };
}
