import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import { buildHubServer } from './api/server.js';
import { TokenManager } from './auth/token-manager.js';
import type { HubContext } from './context.js';
import { HubMetrics } from './metrics.js';
import { Outbound } from './net/outbound.js';
import { CONSOLE_DIR } from './api/console-routes.js';
import type { SignInProvider } from './people/sign-in-provider.js';
import { QueuedSignal } from './flows/engine/queued-signal.js';
import { StoreWorkQueue } from './flows/engine/store-work-queue.js';
import { openHubStore, type HubStore } from './store/database.js';
import { checkMasterKeys } from './vault/key-check.js';
import { keyRingFromText, MASTER_KEYS_ENV } from './vault/master-keys.js';
import { Vault } from './vault/vault.js';
import type { RotationOptions } from './rotation/rotation.js';
import { RotationScheduler } from './rotation/scheduler.js';
import { FlowEngine, type FlowEngineOptions } from './flows/engine/engine.js';
import { joinCluster, type ClusterOptions } from './cluster/cluster.js';
import { workerOnly } from './api/worker-role.js';
import { NO_POLICIES, type HubPolicies } from './policies/hub-policies.js';
import { memoryRateLimits } from './policies/rate-limit-store.js';

export interface HubOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  databaseSchema?: string | undefined;
  /** `version:base64key` pairs, current first; default $HANDSHAKE_MASTER_KEYS or the file it names. */
  masterKeys?: string | undefined;
  allowPrivateNetworks?: boolean;
  /** The URL users' browsers reach the hub at (OAuth redirects); default: the address it listens on. */
  publicUrl?: string | undefined;
  host?: string;
  port?: number;
  logLevel?: string | false;
  logStream?: { write(line: string): void };
  /** When set, GET /metrics needs `Authorization: Bearer <token>` (else HANDSHAKE_METRICS_TOKEN). */
  metricsToken?: string;
  /** The console's built files, served at / (default: packages/console/dist), or false for none. */
  consoleDir?: string | false;
  /** An OAuth 2.0 provider for console sign-in; may also be set later on `ctx.signInProvider`. */
  signInProvider?: SignInProvider;
  now?: () => number;
  /** How often due rotations are looked for, and how failed steps are retried. */
  rotation?: RotationOptions & { tickMs?: number };
  /** The flow engine's settings, or false to run no flows in this process. */
  flows?: FlowEngineOptions | false;
  /** Hub-wide inbound policies (`hub serve --policies FILE`). */
  policies?: HubPolicies | undefined;
  /** The proxies in front of the hub, whose X-Forwarded-For is believed (`hub serve --trust-proxy`). */
  trustProxy?: string[] | undefined;
  /** Cluster mode: several hub processes share one PostgreSQL store and the work (needs databaseUrl). */
  cluster?: ClusterOptions | undefined;
  /**
   * What this process does: `all` (default), `api` (the API and console; no flows, no scheduled
   * rotations), or `worker` (flows and rotations; only the probes and /metrics are served).
   */
  role?: HubRole;
}

export type HubRole = 'all' | 'api' | 'worker';

export interface RunningHub {
  url: string;
  ctx: HubContext;
  store: HubStore;
  server: FastifyInstance;
  rotations: RotationScheduler;
  flows: FlowEngine | undefined;
  close(): Promise<void>;
}

/** Where `handshake demo` keeps its master key, beside the hub's data (a demo only: production sets HANDSHAKE_MASTER_KEYS). */
export const DEMO_MASTER_KEY_FILE = 'demo-master-key';

/**
 * Master keys from the option, the environment, a file named by HANDSHAKE_MASTER_KEYS_FILE, or
 * the demo's key file in the data folder (so every command run on a demo folder finds it).
 */
export function masterKeysText(option: string | undefined, env: NodeJS.ProcessEnv = process.env, dataDir?: string): string {
  const demoKey = dataDir ? join(dataDir, DEMO_MASTER_KEY_FILE) : undefined;
  const text = option ?? env[MASTER_KEYS_ENV] ?? (env.HANDSHAKE_MASTER_KEYS_FILE ? readFileSync(env.HANDSHAKE_MASTER_KEYS_FILE, 'utf8') : undefined)
    ?? (demoKey && existsSync(demoKey) ? readFileSync(demoKey, 'utf8') : undefined);
  if (!text) throw new Error(`No master key: set ${MASTER_KEYS_ENV}="1:<base64 of 32 random bytes>" (generate one with: echo "1:$(openssl rand -base64 32)") or HANDSHAKE_MASTER_KEYS_FILE.`);
  return text;
}

/** Opens the store and the vault (refusing a wrong master key), then serves the API. */
export async function openHub(options: Omit<HubOptions, 'host' | 'port' | 'logLevel' | 'logStream'>, log: (message: string) => void = () => undefined): Promise<{ ctx: HubContext; store: HubStore }> {
  if (options.cluster && !options.databaseUrl) throw new Error('Cluster mode needs PostgreSQL: give every process the same --database-url postgres://…');
  const ring = keyRingFromText(masterKeysText(options.masterKeys, process.env, options.dataDir));
  const store = await openHubStore({ dataDir: options.dataDir, databaseUrl: options.databaseUrl, schema: options.databaseSchema });
  try {
    const vault = new Vault(ring);
    await checkMasterKeys(store.db, ring, vault);
    const metrics = new HubMetrics();
    const now = options.now ?? Date.now;
    const ctx: HubContext = {
      db: store.db, vault, tokens: new TokenManager(metrics, now), metrics, urlPolicy: { allowPrivateNetworks: options.allowPrivateNetworks ?? false }, outbound: new Outbound({ allowPrivateNetworks: options.allowPrivateNetworks ?? false }), now, queued: new QueuedSignal(), work: new StoreWorkQueue(store.db, now), policies: options.policies ?? NO_POLICIES, rateLimits: memoryRateLimits(), signInProvider: options.signInProvider,
      publicUrl: () => options.publicUrl ?? 'http://127.0.0.1',
    };
    if (options.cluster) await joinCluster(ctx, store, options.databaseUrl!, options.databaseSchema, options.cluster, log);
    return { store, ctx };
  } catch (error) {
    await store.close();
    throw error;
  }
}

export async function startHub(options: HubOptions): Promise<RunningHub> {
  // Cluster messages go to the server's log (which exists once the server is built).
  const serverLog: { current?: FastifyBaseLogger } = {};
  const { ctx, store } = await openHub(options, (message) => serverLog.current?.warn(message));
  const logger: FastifyServerOptions['logger'] = options.logLevel === false ? false : { level: options.logLevel ?? 'info', ...(options.logStream ? { stream: options.logStream } : {}) };
  const role = options.role ?? 'all';
  const rotations = new RotationScheduler(ctx, options.rotation);
  const flows = options.flows === false || role === 'api' ? undefined : new FlowEngine(ctx, { log: { error: (object, message) => serverLog.current?.error(object, message), warn: (object, message) => serverLog.current?.warn(object, message) }, ...options.flows });
  const server = await buildHubServer(ctx, logger, rotations, flows, { metricsToken: options.metricsToken ?? process.env.HANDSHAKE_METRICS_TOKEN, consoleDir: options.consoleDir === false ? undefined : options.consoleDir ?? CONSOLE_DIR, trustProxy: options.trustProxy });
  serverLog.current = server.log;
  if (role === 'worker') workerOnly(server);
  const host = options.host ?? '127.0.0.1';
  try {
    await server.listen({ host, port: options.port ?? 0 });
  } catch (error) {
    await ctx.work.close();
    await store.close();
    throw error;
  }
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${host}:${port}`;
  ctx.publicUrl = () => options.publicUrl ?? url;
  if (role !== 'api') await rotations.start();
  flows?.start();
  return { url, ctx, store, server, rotations, flows, close: async () => { await server.close(); await rotations.stop(); await flows?.stop(); await ctx.work.close(); await store.close(); await ctx.outbound.close(); } };
}
