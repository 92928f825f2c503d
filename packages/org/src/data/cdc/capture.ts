import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { FieldDef, ObjectDef } from '../schema/fields.js';
import type { RecordDatabase } from '../store/record-tables.js';
import { toApi } from '../records/values.js';

export type ChangeType = 'CREATE' | 'UPDATE' | 'DELETE' | 'UNDELETE';

/** One change as Salesforce's change event carries it, before field-level security trims it for a subscriber. */
export interface ChangeEvent {
  ChangeEventHeader: {
    entityName: string; recordIds: string[]; changeType: ChangeType; changeOrigin: string; transactionKey: string;
    sequenceNumber: number; commitTimestamp: number; commitNumber: number; commitUser: string;
    changedFields: string[]; diffFields: string[]; nulledFields: string[];
  };
  [field: string]: unknown;
}

/** System fields Salesforce leaves out of change event bodies (the header says who and when). */
const LEFT_OUT = new Set(['Id', 'IsDeleted', 'SystemModstamp', 'CreatedById', 'CreatedDate']);
let commitCounter = 0;

/**
 * Writes the change events of one DML call into the store, in the caller's transaction, so an event
 * exists exactly when its change committed. Called only for objects enabled for Change Data Capture.
 */
export async function captureChanges(trx: RecordDatabase, object: ObjectDef, changeType: ChangeType, changes: { id: string; values: Record<string, unknown>; before?: Record<string, unknown> }[], userId: string, at: number): Promise<void> {
  if (changes.length === 0) return;
  const transactionKey = randomUUID();
  // A commit number that only grows, even across restarts (milliseconds, then a counter within one).
  const commitNumber = at * 1000 + (commitCounter = (commitCounter + 1) % 1000);
  const fields = new Map(object.fields.map((f) => [f.name, f]));
  const rows = changes.map((change, i) => {
    const body: Record<string, unknown> = {};
    const changed: string[] = [];
    const nulled: string[] = [];
    if (changeType !== 'DELETE') {
      for (const [name, value] of Object.entries(change.values)) {
        const f: FieldDef | undefined = fields.get(name);
        if (!f || LEFT_OUT.has(name)) continue;
        if (changeType === 'UPDATE' && change.before && change.before[name] === value) continue;
        if (changeType === 'CREATE' && (value === null || value === undefined)) continue;
        body[name] = toApi(f, value);
        changed.push(name);
        if (value === null) nulled.push(name);
      }
    }
    const event: ChangeEvent = {
      ChangeEventHeader: {
        entityName: object.name, recordIds: [change.id], changeType, changeOrigin: 'com/salesforce/api/rest/66.0', transactionKey,
        sequenceNumber: i + 1, commitTimestamp: at, commitNumber, commitUser: userId,
        changedFields: changeType === 'UPDATE' ? changed : [], diffFields: [], nulledFields: changeType === 'UPDATE' ? nulled : [],
      },
      ...body,
    };
    return { entity: object.name, created_at: at, event: JSON.stringify(event) };
  });
  for (let i = 0; i < rows.length; i += 500) {
    await sql`INSERT INTO ${sql.table('change_events')} (${sql.ref('entity')}, ${sql.ref('created_at')}, ${sql.ref('event')}) VALUES ${sql.join(rows.slice(i, i + 500).map((r) => sql`(${r.entity}, ${r.created_at}, ${r.event})`))}`.execute(trx);
  }
}
