import { sql, type RawBuilder } from 'kysely';
import type { ObjectDef } from '../schema/fields.js';
import { tableName } from '../store/record-tables.js';
import type { DataService } from '../service.js';
import type { DataAccess, RecordScope } from './data-access.js';

/** A row filter for one table alias; undefined means every row. */
export type ScopeFilter = (alias: string) => RawBuilder<unknown> | undefined;

export const col = (alias: string, column: string) => sql.ref(`${alias}.${column}`);

let aliasCounter = 0;

/**
 * Turns a record scope into SQL. Files need the set of readable documents first (a file is
 * readable through any record it is linked to), so this is async.
 */
export async function scopeFilter(service: DataService, access: DataAccess, object: ObjectDef, scope: RecordScope): Promise<ScopeFilter> {
  switch (scope.kind) {
    case 'all':
      return () => undefined;
    case 'none':
      return () => sql`1 = 0`;
    case 'owners':
      return (alias) => sql`${col(alias, 'OwnerId')} IN (${sql.join(scope.owners)})`;
    case 'parent': {
      const parent = service.schema.get(scope.object)!;
      const parentScope = scope.mode === 'read' ? access.readScope(parent) : access.editScope(parent);
      if (parentScope.kind === 'all') return () => undefined;
      const inner = await scopeFilter(service, access, parent, parentScope);
      return (alias) => {
        const p = `p${++aliasCounter % 1000}`;
        const filter = inner(p) ?? sql`1 = 1`;
        // Correlated, not `IN (SELECT …)`: SQLite materialises an IN list of every readable parent
        // (a million orders) for each page of line items; EXISTS is one primary-key probe per row.
        return sql`EXISTS (SELECT 1 FROM ${sql.table(tableName(parent))} AS ${sql.id(p)} WHERE ${col(p, 'Id')} = ${col(alias, scope.field)} AND ${filter})`;
      };
    }
    case 'files': {
      const documents = await fileDocuments(service, access, scope.mode);
      const column = object.name === 'ContentDocument' ? 'Id' : 'ContentDocumentId';
      if (documents.length === 0) return () => sql`1 = 0`;
      return (alias) => sql`${col(alias, column)} IN (${sql.join(documents)})`;
    }
  }
}

/** Documents the user owns, plus (for reading) those linked to a record the user can read. */
async function fileDocuments(service: DataService, access: DataAccess, mode: 'read' | 'edit'): Promise<string[]> {
  const db = service.db;
  const docs = service.schema.get('ContentDocument')!;
  const links = service.schema.get('ContentDocumentLink')!;
  const owned = await sql<{ Id: string }>`SELECT ${sql.ref('Id')} FROM ${sql.table(tableName(docs))} WHERE ${sql.ref('OwnerId')} = ${access.userId}`.execute(db);
  const result = new Set(owned.rows.map((r) => r.Id));
  if (mode === 'read') {
    const linked = await sql<{ ContentDocumentId: string; LinkedEntityId: string }>`SELECT ${sql.ref('ContentDocumentId')}, ${sql.ref('LinkedEntityId')} FROM ${sql.table(tableName(links))} WHERE ${sql.ref('IsDeleted')} = 0`.execute(db);
    const byObject = new Map<ObjectDef, Map<string, string[]>>();
    for (const link of linked.rows) {
      if (result.has(link.ContentDocumentId)) continue;
      const target = service.schema.byKeyPrefix(link.LinkedEntityId.slice(0, 3));
      if (!target || target.sharing.kind === 'files') continue;
      const ids = byObject.get(target) ?? new Map<string, string[]>();
      ids.set(link.LinkedEntityId, [...(ids.get(link.LinkedEntityId) ?? []), link.ContentDocumentId]);
      byObject.set(target, ids);
    }
    for (const [target, ids] of byObject) {
      const readable = await service.visibleIds(access, target, [...ids.keys()], 'read');
      for (const id of readable) for (const doc of ids.get(id) ?? []) result.add(doc);
    }
  }
  return [...result];
}
