import { randomBytes } from 'node:crypto';
import { STORES, type StoreVariant } from '../../org/test/helpers/org.js';
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
