import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations.js';
import type { OrgDatabase } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<OrgDatabase>;
  dialect: Dialect;
  /** Where the data lives, for messages (never includes a password). */
  description: string;
  /** The SQLite handle under Kysely, for the one hot path that needs cached prepared statements (see batch-writer.ts). */
  sqlite?: SQLite.Database;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** postgres://… selects PostgreSQL; absent means SQLite in the data folder. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** PostgreSQL schema to use (tests isolate themselves in one schema each). */
  schema?: string | undefined;
}

// int8 columns (epoch-millisecond times, event ids) fit safely in a JS number for 285,000 years.
pg.types.setTypeParser(20, (v) => Number(v));

export async function openStore(options: StoreOptions): Promise<Store> {
  const url = options.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options.schema);
  if (url && !url.startsWith('sqlite:')) {
    throw new Error(`DATABASE_URL must start with postgres:// or sqlite: (got "${url.split(':')[0]}:…").`);
  }
  const file = url ? url.slice('sqlite:'.length) : join(options.dataDir, 'org.sqlite');
  return openSqlite(file);
}

async function openSqlite(file: string): Promise<Store> {
  if (file !== ':memory:') mkdirSync(join(file, '..'), { recursive: true });
  const database = new SQLite(file);
  // WAL with synchronous=NORMAL is durable across process crashes (the case that matters for a
  // server) and lets readers run while the writer commits.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<OrgDatabase>({ dialect: new SqliteDialect({ database }) });
  await migrateToLatest(db as Kysely<unknown>, 'sqlite');
  return { db, dialect: 'sqlite', description: `SQLite ${file}`, sqlite: database, close: () => db.destroy() };
}

async function openPostgres(url: string, schema: string | undefined): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: 10, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  if (schema) {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`Invalid PostgreSQL schema name "${schema}".`);
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  }
  const db = new Kysely<OrgDatabase>({ dialect: new PostgresDialect({ pool }) });
  try {
    // Pin the migrator to the schema in use: otherwise Kysely's bookkeeping tables in any other
    // schema of the same database would be taken for this one's.
    const { rows } = await pool.query<{ schema: string }>('SELECT current_schema() AS schema');
    await migrateToLatest(db as Kysely<unknown>, 'postgres', rows[0]?.schema ?? 'public');
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const safe = new URL(url);
  safe.password = '';
  return { db, dialect: 'postgres', description: `PostgreSQL ${safe.host}${safe.pathname}${schema ? ` (schema ${schema})` : ''}`, close: () => db.destroy() };
}
