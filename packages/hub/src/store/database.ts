import { join } from 'node:path';
import { openDatabase, type Database } from '@handshake/storage';
import { hubMigrations } from './migrations.js';
import type { HubDatabase } from './schema.js';

export type HubStore = Database<HubDatabase>;

export function openHubStore(options: { dataDir: string; databaseUrl?: string | undefined; schema?: string | undefined }): Promise<HubStore> {
  return openDatabase<HubDatabase>({ databaseUrl: options.databaseUrl, sqliteFile: join(options.dataDir, 'hub.sqlite'), schema: options.schema, migrations: hubMigrations });
}
