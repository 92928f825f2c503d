import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Connection } from 'jsforce';
import { applySetupText } from '../../src/setup/apply.js';
import type { OrgOptions } from '../../src/org/start.js';
import { startTestOrg, tokenFor, type StoreVariant, type TestOrg } from './org.js';

export const DATA_SETUP = readFileSync(fileURLToPath(new URL('../fixtures/data.yaml', import.meta.url)), 'utf8');

export interface DataOrg extends TestOrg {
  /** jsforce connections (unmodified client) for the demo's users. */
  admin: Connection;
  integration: Connection;
  reader: Connection;
  viewer: Connection;
  token(apiName: string): Promise<string>;
}

/** The demo org plus the data fixture: custom objects, a reader with a sharing rule, file permissions. */
export async function startDataOrg(store: StoreVariant, options: Partial<OrgOptions> = {}): Promise<DataOrg> {
  const org = await startTestOrg(store, options);
  const applied = await applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'test' }, DATA_SETUP, 'data.yaml');
  for (const app of applied.newApps) org.apps[app.apiName] = { consumerKey: app.consumerKey, consumerSecret: app.consumerSecret };
  await org.data.reload();
  const connect = async (apiName: string) => new Connection({ instanceUrl: org.instanceUrl, accessToken: await tokenFor(org, apiName), version: '62.0' });
  return Object.assign(org, {
    admin: await connect('Admin_Tools'),
    integration: await connect('MuleSoft_Integration'),
    reader: await connect('Reader_Tools'),
    viewer: await connect('Viewer_Tools'),
    token: (apiName: string) => tokenFor(org, apiName),
  });
}

/** Calls the REST API with fetch, for what jsforce hides (statuses, headers, raw bodies). */
export async function rest(org: DataOrg, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${org.instanceUrl}/services/data/v62.0${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  // Tests read whatever shape the endpoint answers; the assertions are the type check.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: json as any, headers: res.headers };
}

/** The errorCode a failed jsforce call carries. */
export async function errorCodeOf(promise: PromiseLike<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return String((error as { errorCode?: string; name?: string }).errorCode ?? (error as Error).name);
  }
  throw new Error('expected the call to fail');
}
