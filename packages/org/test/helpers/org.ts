import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applySetupText } from '../../src/setup/apply.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEMO_SETUP_FILE, startOrg, type OrgOptions, type RunningOrg } from '../../src/org/start.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface StoreVariant {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty store: a temp folder for SQLite, a new schema for PostgreSQL. */
  fresh(): Pick<OrgOptions, 'dataDir' | 'databaseUrl' | 'databaseSchema'>;
}

/** Every storage test runs on both SQLite and PostgreSQL. */
export const STORES: StoreVariant[] = [
  { name: 'sqlite', fresh: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'hs-org-')) }) },
  {
    name: 'postgres',
    fresh: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'hs-org-pg-')), databaseUrl: TEST_DATABASE_URL, databaseSchema: `t_${randomBytes(6).toString('hex')}` }),
  },
];

export function writeTemp(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'hs-setup-')), name);
  writeFileSync(file, text);
  return file;
}

export interface TestOrg extends RunningOrg {
  consumerKey: string;
  consumerSecret: string;
  /** Consumer key and secret of every app created at start, by API name. */
  apps: Record<string, { consumerKey: string; consumerSecret: string }>;
}

export const EXTRA_SETUP = readFileSync(fileURLToPath(new URL('../fixtures/extra.yaml', import.meta.url)), 'utf8');

/** An org with the demo setup (or the given one) on a fresh store, quiet unless told otherwise. */
export async function startTestOrg(store: StoreVariant, options: Partial<OrgOptions> = {}, storeOptions = store.fresh()): Promise<TestOrg> {
  const org = await startOrg({ ...storeOptions, setupFile: DEMO_SETUP_FILE, logLevel: false, ...options });
  const extra = await applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'test' }, EXTRA_SETUP, 'extra.yaml');
  await org.data.reload();
  const apps = Object.fromEntries([...(org.setup?.newApps ?? []), ...extra.newApps].map((a) => [a.apiName, { consumerKey: a.consumerKey, consumerSecret: a.consumerSecret }]));
  const demo = apps.MuleSoft_Integration ?? { consumerKey: '', consumerSecret: '' };
  return Object.assign(org, { ...demo, apps });
}

export async function form(url: string, params: Record<string, string>, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const send = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(init.headers as Record<string, string>) }, body: new URLSearchParams(params).toString(), redirect: 'manual' });
  // A POST on a kept-alive socket the server closed while the test was busy elsewhere (its idle
  // timeout is 5 s) fails with ECONNRESET, and fetch does not retry a POST: this one is sent again.
  const res = await send().catch((error: { cause?: { code?: string } }) => {
    if (error.cause?.code === 'ECONNRESET') return send();
    throw error;
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

export async function clientCredentials(org: TestOrg, overrides: Record<string, string> = {}, base = org.instanceUrl) {
  return form(`${base}/services/oauth2/token`, { grant_type: 'client_credentials', client_id: org.consumerKey, client_secret: org.consumerSecret, ...overrides });
}

/** A token for an app's run-as user (client credentials). */
export async function tokenFor(org: TestOrg, apiName: string): Promise<string> {
  const app = org.apps[apiName]!;
  const { body } = await form(`${org.instanceUrl}/services/oauth2/token`, { grant_type: 'client_credentials', client_id: app.consumerKey, client_secret: app.consumerSecret });
  if (typeof body.access_token !== 'string') throw new Error(`no token for ${apiName}: ${JSON.stringify(body)}`);
  return body.access_token;
}
