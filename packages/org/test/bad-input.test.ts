import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { STORES, startTestOrg, type TestOrg } from './helpers/org.js';

describe('bad input on the OAuth endpoints', () => {
  let org: TestOrg;
  before(async () => { org = await startTestOrg(STORES[0]!, { rateLimits: { perAddressPerMinute: 1_000_000, perClientPerMinute: 1_000_000 } }); });
  after(() => org.close());

  const post = (path: string, body: string | undefined, contentType?: string) =>
    fetch(`${org.instanceUrl}${path}`, { method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, ...(body !== undefined ? { body } : {}) });

  async function expectOAuthError(res: Response, status: number, error: string | RegExp): Promise<{ error: string; error_description: string }> {
    const text = await res.text();
    assert.equal(res.status, status, text);
    const body = JSON.parse(text) as { error: string; error_description: string };
    assert.match(body.error, typeof error === 'string' ? new RegExp(`^${error}$`) : error);
    assert.ok(body.error_description.length > 5);
    return body;
  }

  it('refuses wrong content types with invalid_request', async () => {
    await expectOAuthError(await post('/services/oauth2/token', JSON.stringify({ grant_type: 'client_credentials' }), 'application/json'), 400, 'invalid_request');
    await expectOAuthError(await post('/services/oauth2/token', 'grant_type=client_credentials', 'text/plain'), 400, 'invalid_request');
    await expectOAuthError(await post('/services/oauth2/token', '<x/>', 'application/xml'), 400, 'invalid_request');
    await expectOAuthError(await post('/services/oauth2/introspect', '<x/>', 'application/xml'), 415, 'invalid_request');
    await expectOAuthError(await post('/services/oauth2/token', undefined), 400, 'invalid_request');
  });

  it('refuses malformed JSON and oversized bodies', async () => {
    await expectOAuthError(await post('/services/oauth2/token', '{"grant_type":', 'application/json'), 400, 'invalid_request');
    await expectOAuthError(await post('/services/oauth2/token', 'grant_type=client_credentials&x=' + 'a'.repeat(70_000), 'application/x-www-form-urlencoded'), 413, 'invalid_request');
    await expectOAuthError(await post('/services/oauth2/revoke', 'token=' + 'a'.repeat(2_000_000), 'application/x-www-form-urlencoded'), 413, 'invalid_request');
  });

  it('refuses unknown, missing and repeated parameters', async () => {
    const form = (body: string) => post('/services/oauth2/token', body, 'application/x-www-form-urlencoded');
    await expectOAuthError(await form('grant_type=urn:example:magic'), 400, 'unsupported_grant_type');
    await expectOAuthError(await form(''), 400, 'invalid_request');
    const repeated = await expectOAuthError(await form(`grant_type=client_credentials&client_id=${org.consumerKey}&client_id=${org.consumerKey}&client_secret=${org.consumerSecret}`), 400, 'invalid_request');
    assert.match(repeated.error_description, /client_id is repeated/);
    await expectOAuthError(await form('grant_type=authorization_code&client_id=' + org.consumerKey), 400, 'invalid_request');
    await expectOAuthError(await form('grant_type=refresh_token&client_id=' + org.consumerKey), 400, 'invalid_request');
    await expectOAuthError(await form('grant_type=client_credentials'), 400, 'invalid_client_id');
  });

  it('refuses malformed Basic authorization headers with 401', async () => {
    for (const header of ['Basic !!!', 'Basic ' + Buffer.from('no-colon').toString('base64'), 'Basic ' + Buffer.from('%zz:%zz').toString('base64')]) {
      const res = await fetch(`${org.instanceUrl}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: header }, body: 'grant_type=client_credentials' });
      await expectOAuthError(res, 401, 'invalid_client');
    }
  });

  it('refuses bad input on the data and admin APIs in Salesforce error-array form', async () => {
    const res = await fetch(`${org.instanceUrl}/services/admin/v1/setup`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer x' }, body: '{"x":' });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { errorCode: string }[])[0]!.errorCode, 'JSON_PARSER_ERROR');
    const missing = await fetch(`${org.instanceUrl}/services/data/v66.0/nothing/here`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }]);
  });

  it('property: any combination of token endpoint parameters gets a 2xx or a 4xx OAuth error, never a 5xx', async () => {
    const value = fc.oneof(
      fc.constantFrom('', 'client_credentials', 'authorization_code', 'refresh_token', 'password', org.consumerKey, org.consumerSecret, 'http://localhost:1717/OauthRedirect', 'S256', 'api refresh_token'),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
    );
    const name = fc.constantFrom('grant_type', 'client_id', 'client_secret', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'username', 'password', 'format', 'x');
    const request = fc.record({
      params: fc.array(fc.tuple(name, value), { maxLength: 8 }),
      basic: fc.option(fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })), { nil: undefined }),
      host: fc.constantFrom(org.instanceUrl, org.loginUrl),
      path: fc.constantFrom('/services/oauth2/token', '/services/oauth2/introspect', '/services/oauth2/revoke'),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ params, basic, host, path }) => {
        const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
        if (basic) headers.authorization = 'Basic ' + Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64');
        const res = await fetch(`${host}${path}`, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
        const text = await res.text();
        if (res.status >= 500) throw new Error(`${res.status} for ${JSON.stringify(params)}: ${text}`);
        if (res.status >= 400) {
          const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
          assert.equal(typeof body.error, 'string', text);
          assert.equal(typeof body.error_description, 'string', text);
        }
      }),
      { numRuns: 300 },
    );
  });
});
