import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { STORES, TEST_DATABASE_URL as POSTGRES_URL, type StoreVariant } from '../../org/test/helpers/org.js';
import { createApiKey, type ApiScope } from '../src/api-keys/api-keys.js';
import { startHub, type HubOptions, type RunningHub } from '../src/start.js';

export { STORES };

export const newMasterKey = (version = 1) => `${version}:${randomBytes(32).toString('base64')}`;

export interface TestHub extends RunningHub {
  masterKeys: string;
  storeOptions: ReturnType<StoreVariant['fresh']>;
  key(scopes?: ApiScope[]): Promise<string>;
  api(key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; text: string; type: string | null }>;
}

/** A hub on a fresh store of the given kind, allowed to reach the org on 127.0.0.1. */
export async function startTestHub(store: StoreVariant, options: Partial<HubOptions> = {}): Promise<TestHub> {
  const storeOptions = store.fresh();
  const masterKeys = options.masterKeys ?? newMasterKey();
  const hub = await startHub({ dataDir: storeOptions.dataDir, databaseUrl: storeOptions.databaseUrl, databaseSchema: storeOptions.databaseSchema, masterKeys, allowPrivateNetworks: true, logLevel: false, ...options });
  return Object.assign(hub, {
    masterKeys,
    storeOptions,
    key: async (scopes: ApiScope[] = ['connections:read', 'connections:write', 'connections:test', 'audit:read']) => (await createApiKey(hub.ctx.db, 'test', scopes, Date.now())).key,
    api: async (key: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${hub.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
      const text = await res.text();
      return { status: res.status, text, type: res.headers.get('content-type'), body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
  });
}

/**
 * For secret scans: what the hub stored, as text. On SQLite the raw database files (read after the
 * hub closes, so the WAL holds what was written); on PostgreSQL every table of its schema, as JSON.
 * Closes the hub.
 */
export async function scanStoreAndClose(hub: TestHub, store: StoreVariant, scan: (where: string, text: string) => void): Promise<void> {
  if (store.name === 'sqlite') {
    await hub.close();
    for (const file of ['hub.sqlite', 'hub.sqlite-wal']) {
      const path = join(hub.storeOptions.dataDir, file);
      if (existsSync(path)) scan(`the raw database file ${file}`, readFileSync(path).toString('latin1'));
    }
    return;
  }
  const tables = await sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`.execute(hub.ctx.db);
  for (const { table_name: table } of tables.rows) {
    const rows = await sql<{ row: unknown }>`SELECT row_to_json(t) AS row FROM ${sql.table(table)} t`.execute(hub.ctx.db);
    scan(`table ${table}`, JSON.stringify(rows.rows));
  }
  await hub.close();
}

/** Polls `probe` until it gives a value (every `everyMs`), or fails naming `what` after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const MAIN = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));

/** A real `handshake hub serve` process on a data folder, resolved once it listens (for crash tests that SIGKILL it); `url` is where it listens. */
export function startHubProcess(dataDir: string, masterKeys: string, extraArgs: string[] = []): Promise<ChildProcess & { url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, 'hub', 'serve', '--data', dataDir, '--port', '0', '--allow-private-networks', '--log-level', 'error', ...extraArgs], { env: { ...process.env, HANDSHAKE_MASTER_KEYS: masterKeys }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      // HUB_ECHO=1 shows what the process logs (errors), for finding why a test of several processes failed.
      if (process.env.HUB_ECHO) process.stderr.write(chunk);
      out += chunk.toString();
      const url = /(?:API|Probes): +(http:\/\/[^/\s]+)\//.exec(out)?.[1];
      if (url) resolve(Object.assign(child, { url }));
    });
    child.once('exit', (code, signal) => { if (!/(API|Probes):/.test(out)) reject(new Error(`hub exited (${code ?? signal}) before it was ready: ${out}`)); });
  });
}

/** A new, empty PostgreSQL database on the local server (for tests of several processes, which cannot take a schema), and how to drop it. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `hs_cluster_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** An access token for the demo ERP's API, from its IdP (client credentials for its resource, both scopes). */
export async function erpAccessToken(erp: { url: string; tokenUrl: string }, client: { clientId: string; clientSecret: string }): Promise<string> {
  const res = await fetch(erp.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: erp.url, scope: 'erp.read erp.write' }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}
