import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { FormBrowser } from './browser.js';
import type { TestOrg } from './org.js';

export const verifier = () => randomBytes(48).toString('base64url');
export const challengeOf = (v: string) => createHash('sha256').update(v).digest('base64url');

export interface Dance { browser: FormBrowser; code: string; verifier: string; redirectUri: string }

/** Walks the login and consent pages the way a person would and returns the code from the redirect. */
export async function authorize(org: TestOrg, app: string, options: { username?: string; password?: string; redirectUri?: string; state?: string; withChallenge?: boolean } = {}): Promise<Dance> {
  const browser = new FormBrowser();
  const v = verifier();
  const redirectUri = options.redirectUri ?? 'http://localhost:1717/OauthRedirect';
  const query = new URLSearchParams({ response_type: 'code', client_id: org.apps[app]!.consumerKey, redirect_uri: redirectUri, state: options.state ?? 'xyz', ...(options.withChallenge === false ? {} : { code_challenge: challengeOf(v) }) });
  const login = await browser.request(`${org.loginUrl}/services/oauth2/authorize?${query}`);
  assert.equal(login.status, 200, login.html);
  assert.match(login.html, /Log in to your org/);
  const submitted = await browser.request(org.loginUrl + FormBrowser.formAction(login.html), { form: FormBrowser.formFields(login.html, { username: options.username ?? 'admin@handshake.demo', pw: options.password ?? 'handshake-demo-1' }) });
  assert.equal(submitted.status, 303, submitted.html);
  const consent = await browser.request(org.loginUrl + submitted.location!);
  assert.match(consent.html, /Allow Access\?/);
  const decided = await browser.request(org.loginUrl + FormBrowser.formAction(consent.html), { form: FormBrowser.formFields(consent.html, { decision: 'allow' }) });
  assert.equal(decided.status, 302);
  const back = new URL(decided.location!);
  assert.equal(back.origin + back.pathname, redirectUri);
  assert.equal(back.searchParams.get('state'), options.state ?? 'xyz');
  return { browser, code: back.searchParams.get('code')!, verifier: v, redirectUri };
}

