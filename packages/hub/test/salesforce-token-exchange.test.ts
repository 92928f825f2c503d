import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applySetupText } from '../../org/src/setup/apply.js';
import { form, startTestOrg, type TestOrg } from '../../org/test/helpers/org.js';
import { connectionClient } from '../src/connections/connections.js';
import { STORES, startTestHub, type TestHub } from './helpers.js';
import { IDP_CLIENT, RESOURCE, startResourceIdp, type ResourceIdp } from './resource-idp.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * Token exchange with a real external identity provider (oidc-provider, issuing RS256 JWT access
 * tokens for an audience): the org validates the IdP's token with a handler (issuer, JWKS, audience,
 * user mapping) and issues its own; the hub's Salesforce connection does the exchange by itself.
 */
for (const store of STORES) {
  describe(`OAuth 2.0 token exchange: org handler and hub connection (${store.name})`, () => {
    let idp: ResourceIdp;
    let org: TestOrg;
    let hub: TestHub;
    let key: string;
    const apps: Record<string, { consumerKey: string; consumerSecret: string }> = {};

    before(async () => {
      idp = await startResourceIdp();
      org = await startTestOrg(STORES[0]!);
      const made = await applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'test' }, `apps:
  - { name: Exchange, apiName: Exchange, contactEmail: admin@handshake.demo, oauth: { scopes: [api], flows: [token_exchange] } }
  - { name: Exchange Public, apiName: Exchange_Public, contactEmail: admin@handshake.demo, oauth: { scopes: [api], flows: [token_exchange], requireSecretForTokenExchange: false } }
tokenExchangeHandlers:
  - name: ERP_IdP
    issuer: ${idp.issuer}
    jwksUrl: ${idp.issuer}/jwks
    audience: ${RESOURCE}
    tokenTypes: [access_token, jwt]
    users: { ${IDP_CLIENT.id}: integration@handshake.demo }
    apps: [{ app: Exchange, default: true }, { app: Exchange_Public, default: true }]
  - name: Other_Audience
    issuer: ${idp.issuer}
    jwksUrl: ${idp.issuer}/jwks
    audience: https://elsewhere.example
    apps: [{ app: Exchange }]
  - name: Unmapped
    issuer: ${idp.issuer}
    jwksUrl: ${idp.issuer}/jwks
    users: { someone-else: admin@handshake.demo }
    apps: [{ app: Exchange }]
`, 'exchange.yaml');
      for (const a of made.newApps) apps[a.apiName] = a;
      hub = await startTestHub(store);
      key = await hub.key();
    });
    after(async () => {
      await hub.close();
      await org.close();
      idp.close();
    });

    const idpToken = async () => {
      const res = await form(`${idp.issuer}/token`, { grant_type: 'client_credentials', client_id: IDP_CLIENT.id, client_secret: IDP_CLIENT.secret, resource: RESOURCE });
      return String(res.body.access_token);
    };
    const exchange = async (params: Record<string, string>) => form(`${org.loginUrl}/services/oauth2/token`, { grant_type: TOKEN_EXCHANGE, subject_token_type: ACCESS_TOKEN, client_id: apps.Exchange!.consumerKey, client_secret: apps.Exchange!.consumerSecret, ...params });
    const exchanges = async () => (await org.store.db.selectFrom('events').select('outcome').where('grant_type', '=', TOKEN_EXCHANGE).where('outcome', '=', 'success').execute()).length;

    it('the org exchanges the IdP\'s token for a token of the mapped user, which reads data', async () => {
      const res = await exchange({ subject_token: await idpToken() });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.issued_token_type, ACCESS_TOKEN);
      assert.equal(res.body.refresh_token, undefined);
      const integration = await org.store.db.selectFrom('users').select('id').where('username', '=', 'integration@handshake.demo').executeTakeFirstOrThrow();
      assert.match(String(res.body.id), new RegExp(`/${integration.id}$`));
      const query = await fetch(`${org.instanceUrl}/services/data/v62.0/query?q=${encodeURIComponent('SELECT Id FROM Account LIMIT 1')}`, { headers: { authorization: `Bearer ${String(res.body.access_token)}` } });
      assert.equal(query.status, 200);
    });

    it('honours "Require secret for Token Exchange Flow" per app', async () => {
      const subject = await idpToken();
      assert.equal((await exchange({ subject_token: subject, client_secret: '' })).body.error, 'invalid_client');
      const open = await form(`${org.loginUrl}/services/oauth2/token`, { grant_type: TOKEN_EXCHANGE, subject_token_type: ACCESS_TOKEN, subject_token: subject, client_id: apps.Exchange_Public!.consumerKey });
      assert.equal(open.status, 200, JSON.stringify(open.body));
    });

    it('refuses what the handler or the app does not accept, saying why', async () => {
      const subject = await idpToken();
      const [header, payload] = subject.split('.');
      const cases: [string, Record<string, string>, string, RegExp][] = [
        ['a handler whose audience differs', { subject_token: subject, token_handler: 'Other_Audience' }, 'invalid_grant', /aud claim is not accepted/],
        ['a subject no handler user maps', { subject_token: subject, token_handler: 'Unmapped' }, 'invalid_grant', /no user for the subject of the token/],
        ['a handler not enabled for the app', { subject_token: subject, token_handler: 'Nope' }, 'invalid_grant', /token handler Nope is not enabled for this app/],
        ['a token with its signature cut', { subject_token: `${header}.${payload}.AAAA` }, 'invalid_grant', /not a JWT signed by the identity provider/],
        ['not a JWT', { subject_token: 'opaque-token' }, 'invalid_grant', /not a JWT signed by the identity provider/],
        ['an id_token type the handler does not take', { subject_token: subject, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }, 'invalid_grant', /does not accept id_token subject tokens/],
        ['an unknown token type', { subject_token: subject, subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }, 'invalid_request', /unsupported subject_token_type/],
        ['no subject token', {}, 'invalid_request', /subject_token is required/],
        ['a subject token over 10,000 characters', { subject_token: 'x'.repeat(10_001) }, 'invalid_request', /longer than 10000/],
        ['an app without the flow', { subject_token: subject, client_id: org.consumerKey, client_secret: org.consumerSecret }, 'invalid_grant', /app not enabled for token exchange/],
      ];
      for (const [what, params, error, description] of cases) {
        const res = await exchange(params);
        assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error, error, what);
        assert.match(String(res.body.error_description), description, what);
      }
    });

    it('a hub connection exchanges its identity provider\'s token: one IdP token and one exchange for many callers', async () => {
      const provider = await hub.api(key, 'POST', '/api/v1/identity-providers', { name: 'ERP IdP', tokenUrl: `${idp.issuer}/token`, clientId: IDP_CLIENT.id, clientSecret: IDP_CLIENT.secret, params: [{ name: 'resource', value: RESOURCE, in: 'body' }] });
      assert.equal(provider.status, 201, provider.text);
      const idpBefore = idp.tokenRequests();
      const before = await exchanges();
      const res = await hub.api(key, 'POST', '/api/v1/connections', { name: 'Salesforce via IdP', app: 'salesforce', method: 'oauth2_token_exchange', credentials: { instanceUrl: org.instanceUrl, consumerKey: apps.Exchange!.consumerKey, consumerSecret: apps.Exchange!.consumerSecret, identityProvider: 'ERP IdP' } });
      assert.equal(res.status, 201, res.text);
      const conn = res.body.connection as { id: string; status: string };
      assert.equal(conn.status, 'active', res.text);
      assert.ok(!res.text.includes(apps.Exchange!.consumerSecret));
      const client = await connectionClient(hub.ctx, conn.id);
      const statuses = await Promise.all(Array.from({ length: 30 }, async () => (await client.request('/services/data/v62.0/query?q=SELECT+Id+FROM+Account+LIMIT+1')).status));
      assert.deepEqual(new Set(statuses), new Set([200]));
      assert.equal(idp.tokenRequests() - idpBefore, 1, 'one token from the identity provider');
      assert.equal(await exchanges() - before, 1, 'one exchange at the org');
    });

    it('refuses an unknown identity provider by name, and says why an exchange fails (nothing saved)', async () => {
      const unknown = await hub.api(key, 'POST', '/api/v1/connections', { name: 'No IdP', app: 'salesforce', method: 'oauth2_token_exchange', credentials: { instanceUrl: org.instanceUrl, consumerKey: apps.Exchange!.consumerKey, identityProvider: 'Nope' } });
      assert.equal(unknown.status, 400);
      assert.deepEqual((unknown.body.errors as { path: string }[]).map((e) => e.path), ['credentials.identityProvider']);
      const unmapped = await hub.api(key, 'POST', '/api/v1/connections', { name: 'Unmapped', app: 'salesforce', method: 'oauth2_token_exchange', credentials: { instanceUrl: org.instanceUrl, consumerKey: apps.Exchange!.consumerKey, consumerSecret: apps.Exchange!.consumerSecret, identityProvider: 'ERP IdP', tokenHandler: 'Unmapped' } });
      assert.equal(unmapped.status, 422, unmapped.text);
      assert.match(String(unmapped.body.detail), /maps the identity provider's token to no user/);
    });
  });
}
