import { join } from 'node:path';
import { openDatabase, type Database } from '@handshake/storage';
import type { Kysely, Transaction } from 'kysely';
import { erpMigrations } from './migrations.js';
import type { ErpDatabase } from './schema.js';

export type ErpStore = Database<ErpDatabase>;

export function openErpStore(options: { dataDir: string; databaseUrl?: string | undefined; schema?: string | undefined }): Promise<ErpStore> {
  return openDatabase<ErpDatabase>({ databaseUrl: options.databaseUrl, sqliteFile: join(options.dataDir, 'erp.sqlite'), schema: options.schema, migrations: () => erpMigrations() });
}

/** The next value of a named counter, taken inside the caller's transaction (a row lock on PostgreSQL). */
export async function nextValue(trx: Kysely<ErpDatabase> | Transaction<ErpDatabase>, name: string): Promise<number> {
  const row = await trx.updateTable('counters').set((eb) => ({ value: eb('value', '+', 1) })).where('name', '=', name).returning('value').executeTakeFirstOrThrow();
  return Number(row.value);
}
