import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { ObjectDef } from '../schema/fields.js';
import type { RecordDatabase } from '../store/record-tables.js';
import { toApi } from '../records/values.js';

/** A published platform event as it is kept for subscribers (before field-level security trims it for each). */
export interface PlatformEvent { EventUuid: string; payload: Record<string, unknown> }

/**
 * Publishes platform events in the caller's transaction: each is kept with the change events (one
 * replay id sequence, 72-hour retention) and delivered on `/event/<Name>__e`. Returns each event's
 * EventUuid, which the publish call answers as OPERATION_ENQUEUED.
 */
export async function publishEvents(trx: RecordDatabase, object: ObjectDef, events: Record<string, unknown>[], userId: string, at: number): Promise<string[]> {
  const fields = new Map(object.fields.filter((f) => f.custom).map((f) => [f.name, f]));
  const rows = events.map((values) => {
    const payload: Record<string, unknown> = { CreatedDate: new Date(at).toISOString(), CreatedById: userId };
    for (const [name, value] of Object.entries(values)) {
      const f = fields.get(name);
      if (f && value !== null && value !== undefined) payload[name] = toApi(f, value as never);
    }
    const event: PlatformEvent = { EventUuid: randomUUID(), payload };
    return { entity: object.name, created_at: at, event: JSON.stringify(event), uuid: event.EventUuid };
  });
  for (let i = 0; i < rows.length; i += 500) {
    await sql`INSERT INTO ${sql.table('change_events')} (${sql.ref('entity')}, ${sql.ref('created_at')}, ${sql.ref('event')}) VALUES ${sql.join(rows.slice(i, i + 500).map((r) => sql`(${r.entity}, ${r.created_at}, ${r.event})`))}`.execute(trx);
  }
  return rows.map((r) => r.uuid);
}
