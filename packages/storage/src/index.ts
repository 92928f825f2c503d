import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql, SqliteDialect, type Migration } from 'kysely';
import pg from 'pg';

export type Dialect = 'sqlite' | 'postgres';

export interface Database<DB> {
  db: Kysely<DB>;
  dialect: Dialect;
  /** Where the data lives, for messages (never includes a password). */
  description: string;
  /** The SQLite handle under Kysely, for a hot path that needs cached prepared statements. */
  sqlite?: SQLite.Database;
  /** The PostgreSQL pool under Kysely (its search path set to the schema), for a library that takes a pg pool. */
  pgPool?: pg.Pool;
  /**
   * Brings the query planner's statistics up to date after tables grew. On SQLite this is
   * `PRAGMA optimize` (it re-analyses only tables whose size changed tenfold); PostgreSQL's
   * autovacuum does it on its own.
   */
  refreshStatistics(): void;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://… selects PostgreSQL, sqlite:FILE a given SQLite file; absent means `sqliteFile`. */
  databaseUrl?: string | undefined;
  sqliteFile: string;
  /** PostgreSQL schema to use (tests isolate themselves in one schema each). */
  schema?: string | undefined;
  migrations: (dialect: Dialect) => Record<string, Migration>;
}

// int8 columns (epoch-millisecond times, ids) fit safely in a JS number for 285,000 years.
pg.types.setTypeParser(20, (v) => Number(v));

/** Opens the database a connection URL names (SQLite by default) and brings its schema up to date. */
export async function openDatabase<DB>(options: DatabaseOptions): Promise<Database<DB>> {
  const url = options.databaseUrl;
  const opened = url && /^postgres(ql)?:\/\//.test(url)
    ? await openPostgres<DB>(url, options.schema)
    : openSqlite<DB>(sqliteFileOf(url, options.sqliteFile));
  try {
    await migrate(opened, options);
  } catch (error) {
    await opened.close();
    throw error;
  }
  return opened;
}

function sqliteFileOf(url: string | undefined, fallback: string): string {
  if (!url) return fallback;
  if (url.startsWith('sqlite:')) return url.slice('sqlite:'.length);
  throw new Error(`DATABASE_URL must start with postgres:// or sqlite: (got "${url.split(':')[0]}:…").`);
}

function openSqlite<DB>(file: string): Database<DB> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new SQLite(file);
  // WAL with synchronous=NORMAL is durable across process crashes (the case that matters for a
  // server) and lets readers run while the writer commits.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  // Statement journals and sorts stay in memory: a multi-row upsert otherwise creates and deletes a
  // temporary file per statement.
  database.pragma('temp_store = MEMORY');
  // Without statistics SQLite guesses that an equality on any indexed column is selective; with a
  // million rows owned by one user it then reads them all to sort a page of 200 (0.4 s instead of
  // 4 ms). 0x10002 also analyses tables that were never analysed. Callers schedule it after
  // requests, so it may land after close.
  const refreshStatistics = () => {
    if (database.open) database.pragma('optimize = 0x10002');
  };
  refreshStatistics();
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  return { db, dialect: 'sqlite', description: `SQLite ${file}`, sqlite: database, refreshStatistics, close: () => db.destroy() };
}

async function openPostgres<DB>(url: string, schema: string | undefined): Promise<Database<DB>> {
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`Invalid PostgreSQL schema name "${schema}".`);
  const pool = new pg.Pool({ connectionString: url, max: 10, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  // A connection the server closes (a restart, a failover) emits 'error', which would end the
  // process: the pool's when it is idle, the client's own when it is checked out between two
  // statements of a transaction. The statement that needed it fails on its own; the pool drops the
  // connection and the next query opens another.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const safe = new URL(url);
  safe.password = '';
  return { db, dialect: 'postgres', pgPool: pool, refreshStatistics: () => undefined, description: `PostgreSQL ${safe.host}${safe.pathname}${schema ? ` (schema ${schema})` : ''}`, close: () => db.destroy() };
}

async function migrate<DB>(opened: Database<DB>, options: DatabaseOptions): Promise<void> {
  const db = opened.db as unknown as Kysely<unknown>;
  // Pin the migrator to the schema in use: otherwise Kysely's bookkeeping tables in any other
  // schema of the same PostgreSQL database would be taken for this one's.
  let migrationTableSchema: string | undefined;
  if (opened.dialect === 'postgres') {
    const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
    migrationTableSchema = rows[0]?.schema ?? 'public';
  }
  const migrations = options.migrations(opened.dialect);
  const { error, results } = await new Migrator({ db, provider: { getMigrations: async () => migrations }, ...(migrationTableSchema ? { migrationTableSchema } : {}) }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query anew; on a hot path preparing costs more than running. This keeps
 * the most recent prepared statements by SQL text (a statement still iterating a result is
 * never handed out twice).
 */
function withStatementCache(database: SQLite.Database): { prepare(sql: string): SQLite.Statement; close(): void } {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(text: string) {
      const cached = cache.get(text);
      if (cached && !cached.busy) {
        cache.delete(text);
        cache.set(text, cached);
        return cached;
      }
      const statement = database.prepare(text);
      cache.set(text, statement);
      if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      return statement;
    },
    close: () => database.close(),
  };
}
