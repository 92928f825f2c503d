import { join } from 'node:path';
import { openDatabase, type Database } from '@handshake/storage';
import { orgMigrations } from './migrations.js';
import type { OrgDatabase } from './schema.js';

export type Store = Database<OrgDatabase>;

export interface StoreOptions {
  /** postgres://… selects PostgreSQL; absent means SQLite in the data folder. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** PostgreSQL schema to use (tests isolate themselves in one schema each). */
  schema?: string | undefined;
}

export function openStore(options: StoreOptions): Promise<Store> {
  return openDatabase<OrgDatabase>({ databaseUrl: options.databaseUrl, sqliteFile: join(options.dataDir, 'org.sqlite'), schema: options.schema, migrations: orgMigrations });
}
