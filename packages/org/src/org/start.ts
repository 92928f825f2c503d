import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataService, type RecordDatabase } from '../data/service.js';
import { BlobStore } from '../data/files/blob-store.js';
import { QueryLocators } from '../data/soql/locators.js';
import { ApiUsage } from '../data/limits/api-usage.js';
import { BulkJobRunner } from '../data/bulk/runner.js';
import { JobFiles } from '../data/bulk/job-files.js';
import { StreamingHub } from '../data/cdc/streaming.js';

const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { loadOrgKey } from '../crypto/org-key.js';
import { SecretBox } from '../crypto/secret-box.js';
import { buildOrgServer, requestSerializer } from '../http/server.js';
import { OrgMetrics } from '../metrics.js';
import type { OAuthContext } from '../oauth/context.js';
import { DEFAULT_RATE_LIMITS, TokenRateLimits, type RateLimitOptions } from '../oauth/rate-limits.js';
import { applySetupText, type ApplySummary } from '../setup/apply.js';
import { openStore, type Store } from '../store/database.js';
import { ensureOrg } from './settings.js';
import { LookupCache } from '../apps/lookup-cache.js';
import { BatchWriter } from '../store/batch-writer.js';

export const DEMO_SETUP_FILE = fileURLToPath(new URL('../../setup/demo.yaml', import.meta.url));

export interface OrgOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  /** PostgreSQL schema (tests use one each). */
  databaseSchema?: string | undefined;
  host?: string;
  port?: number;
  /** A setup file to apply at start (idempotent). */
  setupFile?: string | undefined;
  /** Log level, or false for no logs. */
  logLevel?: string | false;
  /** Where log lines go (default stdout); tests read them to prove no secret is logged. */
  logStream?: { write(line: string): void };
  rateLimits?: Partial<RateLimitOptions>;
  refreshGraceSeconds?: number;
  /** The largest file (ContentVersion) the data API accepts, in bytes (default 100 MB, HANDSHAKE_MAX_FILE_BYTES). */
  maxFileBytes?: number;
  /** For tests that move the clock. */
  now?: () => number;
  /** Serve https with this certificate (see org/tls.ts). */
  tls?: { cert: string; key: string };
}

export interface RunningOrg {
  /** The org's own host ("My Domain"): API calls and client credentials go here. */
  instanceUrl: string;
  /** The generic login host: authorization code logins, identity URLs. */
  loginUrl: string;
  orgId: string;
  store: Store;
  ctx: OAuthContext;
  server: FastifyInstance;
  /** The REST data API's state; `reload()` after applying setup behind its back. */
  data: DataService;
  /** Bulk API 2.0 jobs running in the background. */
  bulk: BulkJobRunner;
  /** Change Data Capture subscribers (the Streaming API). */
  streaming: StreamingHub;
  /** What applying the setup file at start changed; new apps' secrets are shown here once. */
  setup: ApplySummary | undefined;
  close(): Promise<void>;
}

/**
 * Opens the store, applies the setup file and listens. The instance URL uses 127.0.0.1 and the
 * login URL localhost: two host names for one server, so "client credentials only on My Domain"
 * behaves as in Salesforce.
 */
export async function startOrg(options: OrgOptions): Promise<RunningOrg> {
  const store = await openStore({ databaseUrl: options.databaseUrl, dataDir: options.dataDir, schema: options.databaseSchema });
  try {
    const orgKey = loadOrgKey(options.dataDir);
    const box = new SecretBox(orgKey);
    const now = options.now ?? Date.now;
    let setup: ApplySummary | undefined;
    if (options.setupFile) {
      const file = resolve(options.setupFile);
      setup = await applySetupText({ db: store.db, box, actor: 'setup file at start', now }, readFileSync(file, 'utf8'), file);
    }
    const org = await ensureOrg(store.db);
    const ctx: OAuthContext = { db: store.db, box, org, urls: { instanceUrl: '', loginUrl: '', instanceHost: '' }, now, refreshGraceSeconds: options.refreshGraceSeconds ?? 30, cache: new LookupCache(store.db, now), writer: new BatchWriter(store) };
    const logger: FastifyServerOptions['logger'] = options.logLevel === false ? false : { level: options.logLevel ?? 'info', serializers: { req: requestSerializer }, ...(options.logStream ? { stream: options.logStream } : {}) };
    const maxFileBytes = options.maxFileBytes ?? (Number(process.env.HANDSHAKE_MAX_FILE_BYTES) || DEFAULT_MAX_FILE_BYTES);
    const data = new DataService(store.db as unknown as RecordDatabase, store.dialect, now, new BlobStore(join(options.dataDir, 'blobs'), maxFileBytes), new QueryLocators(now), new ApiUsage(now), () => store.refreshStatistics());
    await data.reload();
    ctx.afterSetupApplied = () => data.reload();
    const metrics = new OrgMetrics();
    const bulk = new BulkJobRunner(data, new JobFiles(join(options.dataDir, 'bulk')));
    const streaming = new StreamingHub(data);
    // Change events past their 72 hours go once an hour.
    const purge = setInterval(() => void streaming.purge().catch(() => undefined), 60 * 60 * 1000).unref();
    const server = await buildOrgServer({ ctx, metrics, limits: new TokenRateLimits({ ...DEFAULT_RATE_LIMITS, ...options.rateLimits }), orgKey, logger, data, bulk, streaming, sqlite: store.sqlite, tls: options.tls });
    const host = options.host ?? '127.0.0.1';
    await server.listen({ host, port: options.port ?? 0 });
    const address = server.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const scheme = options.tls ? 'https' : 'http';
    ctx.urls.instanceUrl = `${scheme}://${host}:${port}`;
    ctx.urls.loginUrl = `${scheme}://localhost:${port}`;
    ctx.urls.instanceHost = new URL(ctx.urls.instanceUrl).host.toLowerCase();
    // Jobs a stopped org left unfinished carry on.
    bulk.wake();
    return {
      instanceUrl: ctx.urls.instanceUrl,
      loginUrl: ctx.urls.loginUrl,
      orgId: org.orgId,
      store,
      ctx,
      server,
      data,
      bulk,
      streaming,
      setup,
      close: async () => {
        clearInterval(purge);
        streaming.stop();
        await server.close();
        await bulk.stop();
        await ctx.writer.settle();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
