import { resolve } from 'node:path';
import type { Command } from 'commander';

export const DEFAULT_DATA_DIR = '.handshake/org';

export interface StoreFlags { data: string; databaseUrl?: string }

/** --data and --database-url, shared by every org command that opens the store. */
export function withStoreOptions(command: Command): Command {
  return command
    .option('--data <dir>', 'data folder (SQLite file, org key, blobs)', DEFAULT_DATA_DIR)
    .option('--database-url <url>', 'postgres://… to use PostgreSQL instead of SQLite (default: $DATABASE_URL)', process.env.DATABASE_URL);
}

export function storeOptions(flags: StoreFlags) {
  return { dataDir: resolve(flags.data), databaseUrl: flags.databaseUrl };
}
