import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT, importPKCS8 } from 'jose';
import { generate } from 'selfsigned';
import { applySetupText } from '../src/setup/apply.js';
import { authorize } from './helpers/authorize.js';
import { form, STORES, startTestOrg, type TestOrg } from './helpers/org.js';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** A key pair and a self-signed certificate made here, as `openssl req -x509` would make them for `sf org login jwt`. */
async function keyPair(keyType: 'rsa' | 'ec' = 'rsa') {
  const pems = await generate([{ name: 'commonName', value: 'JWT test' }], keyType === 'rsa' ? { keySize: 2048, algorithm: 'sha256' } : { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' });
  return { cert: pems.cert, key: pems.private };
}

const app = (apiName: string, oauth: string, policies = '') => `apps:
  - name: ${apiName}
    apiName: ${apiName}
    contactEmail: admin@handshake.demo
    oauth:
${oauth.split('\n').map((l) => `      ${l}`).join('\n')}
${policies ? `    policies:\n${policies.split('\n').map((l) => `      ${l}`).join('\n')}\n` : ''}`;

const certificateBlock = (pem: string) => `certificate: |\n${pem.trim().split('\n').map((l) => `  ${l}`).join('\n')}`;

for (const store of STORES) {
  describe(`OAuth 2.0 JWT bearer flow (${store.name})`, () => {
    let org: TestOrg;
    let signer: Awaited<ReturnType<typeof keyPair>>;
    let jwtApp: { consumerKey: string };
    let selfApp: { consumerKey: string };
    const apply = async (text: string) => applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'test' }, text, 'jwt.yaml');

    before(async () => {
      org = await startTestOrg(store);
      signer = await keyPair();
      const made = await apply(app('Jwt_Server', `scopes: [api, refresh_token]\nflows: [jwt_bearer]\n${certificateBlock(signer.cert)}`, 'permittedUsers: { policy: adminApprovedPreAuthorized, permissionSets: [MuleSoft_SFDC_Integration] }'));
      jwtApp = made.newApps.find((a) => a.apiName === 'Jwt_Server')!;
      const self = await apply(app('Jwt_Self', `callbackUrls: [http://localhost:1717/OauthRedirect]\nscopes: [api, refresh_token]\nflows: [jwt_bearer, authorization_code, refresh_token]\nrequireSecretForRefreshToken: false\n${certificateBlock(signer.cert)}`));
      selfApp = self.newApps.find((a) => a.apiName === 'Jwt_Self')!;
      org.apps.Jwt_Self = self.newApps.find((a) => a.apiName === 'Jwt_Self')!;
    });
    after(() => org.close());

    const assertion = async (claims: Record<string, unknown>, options: { key?: string; alg?: string } = {}) => {
      const alg = options.alg ?? 'RS256';
      const key = alg === 'HS256' ? new TextEncoder().encode('a shared secret that is long enough') : await importPKCS8(options.key ?? signer.key, alg);
      return new SignJWT(claims).setProtectedHeader({ alg }).sign(key);
    };
    const claims = (extra: Record<string, unknown> = {}) => ({ iss: jwtApp.consumerKey, sub: 'integration@handshake.demo', aud: org.instanceUrl, exp: Math.floor(Date.now() / 1000) + 180, ...extra });
    const token = async (jwt: string, params: Record<string, string> = {}) => form(`${org.loginUrl}/services/oauth2/token`, { grant_type: JWT_BEARER, assertion: jwt, ...params });

    it('issues a token for a pre-authorized user: no refresh token, the identity URL names the user, and the token reads data', async () => {
      const res = await token(await assertion(claims()));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.refresh_token, undefined);
      assert.equal(res.body.scope, 'api');
      assert.equal(res.body.instance_url, org.instanceUrl);
      assert.equal(res.body.token_type, 'Bearer');
      const integration = await org.store.db.selectFrom('users').select('id').where('username', '=', 'integration@handshake.demo').executeTakeFirstOrThrow();
      assert.match(String(res.body.id), new RegExp(`/id/00D\\w+/${integration.id}$`));
      const query = await fetch(`${org.instanceUrl}/services/data/v62.0/query?q=${encodeURIComponent('SELECT Id FROM Account LIMIT 1')}`, { headers: { authorization: `Bearer ${String(res.body.access_token)}` } });
      assert.equal(query.status, 200);
    });

    it('accepts what real clients send: exp in milliseconds (sf CLI) or as a string, aud with a trailing slash or login.salesforce.com, prn over sub', async () => {
      for (const extra of [{ exp: Date.now() + 300 }, { exp: String(Math.floor(Date.now() / 1000) + 60) }, { aud: `${org.instanceUrl}/` }, { aud: 'https://login.salesforce.com' }, { aud: 'https://test.salesforce.com' }]) {
        const res = await token(await assertion(claims(extra)));
        assert.equal(res.status, 200, `${JSON.stringify(extra)}: ${JSON.stringify(res.body)}`);
      }
      const prn = await token(await assertion(claims({ sub: 'admin@handshake.demo', prn: 'integration@handshake.demo' })));
      assert.equal(prn.status, 200, JSON.stringify(prn.body));
    });

    it('refuses bad assertions with Salesforce\'s errors', async () => {
      const other = await keyPair();
      const cases: [string, string | Promise<string>, string, string][] = [
        ['wrong audience', assertion(claims({ aud: 'https://evil.example' })), 'invalid_grant', 'audience is invalid'],
        ['expired', assertion(claims({ exp: Math.floor(Date.now() / 1000) - 5 })), 'invalid_grant', 'expired authorization code'],
        ['expired, in ms', assertion(claims({ exp: Date.now() - 5000 })), 'invalid_grant', 'expired authorization code'],
        ['no exp', assertion(claims({ exp: undefined })), 'invalid_grant', 'invalid assertion'],
        ['signed by another key', assertion(claims(), { key: other.key }), 'invalid_grant', 'invalid assertion'],
        ['HS256', assertion(claims(), { alg: 'HS256' }), 'invalid_grant', 'invalid assertion'],
        ['not a JWT', 'not.a.jwt', 'invalid_grant', 'invalid assertion'],
        ['over 10,000 characters', 'e'.repeat(20_000), 'invalid_grant', 'invalid assertion'],
        ['unknown issuer', assertion(claims({ iss: '3MVG9unknown' })), 'invalid_client_id', 'client identifier invalid'],
        ['user not pre-authorized (System Administrator, no permission set)', assertion(claims({ sub: 'admin@handshake.demo' })), 'invalid_grant', "user hasn't approved this consumer"],
        ['unknown user', assertion(claims({ sub: 'nobody@handshake.demo' })), 'invalid_grant', "user hasn't approved this consumer"],
        ['self-authorized app, no earlier approval', assertion(claims({ iss: selfApp.consumerKey, sub: 'admin@handshake.demo' })), 'invalid_grant', "user hasn't approved this consumer"],
        ['an app without the JWT bearer flow', assertion(claims({ iss: org.consumerKey })), 'unsupported_grant_type', 'grant type not supported'],
      ];
      for (const [what, jwt, error, description] of cases) {
        const res = await token(await jwt);
        assert.equal(res.status, 400, what);
        assert.deepEqual(res.body, { error, error_description: description }, what);
      }
      const huge = await token('e'.repeat(2_000_000));
      assert.equal(huge.status, 413);
      assert.equal(typeof huge.body.error, 'string', 'an OAuth error body');
      const missing = await form(`${org.loginUrl}/services/oauth2/token`, { grant_type: JWT_BEARER });
      assert.deepEqual([missing.status, missing.body.error], [400, 'invalid_request']);
    });

    it('a self-authorized app accepts a user who approved it in a flow that issued a refresh token; refresh without the secret when only the web server flow requires it', async () => {
      const dance = await authorize(org, 'Jwt_Self');
      const code = await form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'authorization_code', code: dance.code, client_id: selfApp.consumerKey, client_secret: org.apps.Jwt_Self!.consumerSecret, redirect_uri: dance.redirectUri, code_verifier: dance.verifier });
      assert.equal(code.status, 200, JSON.stringify(code.body));
      const refreshed = await form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'refresh_token', refresh_token: String(code.body.refresh_token), client_id: selfApp.consumerKey });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      const wrongSecret = await form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'refresh_token', refresh_token: String(code.body.refresh_token), client_id: selfApp.consumerKey, client_secret: 'wrong' });
      assert.equal(wrongSecret.body.error, 'invalid_client', 'a secret sent anyway is still checked');
      const withoutSecret = await form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'authorization_code', code: (await authorize(org, 'Jwt_Self')).code, client_id: selfApp.consumerKey, redirect_uri: dance.redirectUri });
      assert.equal(withoutSecret.body.error, 'invalid_client', 'the web server flow still requires it');
      const res = await token(await assertion(claims({ iss: selfApp.consumerKey, sub: 'admin@handshake.demo' })));
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });

    it('setup refuses a JWT bearer app without a usable certificate, naming where', async () => {
      const ec = await keyPair('ec');
      const cases: [string, string, RegExp][] = [
        ['no certificate', 'scopes: [api]\nflows: [jwt_bearer]', /apps\[0\]\.oauth\.certificate: the JWT bearer flow needs the X\.509 certificate/],
        ['not PEM', 'scopes: [api]\nflows: [jwt_bearer]\ncertificate: hello', /apps\[0\]\.oauth\.certificate: is not an X\.509 certificate/],
        ['EC key', `scopes: [api]\nflows: [jwt_bearer]\n${certificateBlock(ec.cert)}`, /RS256, which needs an RSA key/],
        ['certificate without the flow', `scopes: [api]\nflows: [client_credentials]\n${certificateBlock(signer.cert)}`, /add jwt_bearer to oauth\.flows/],
      ];
      for (const [what, oauth, message] of cases) await assert.rejects(apply(app('Jwt_Bad', oauth)), message, what);
      await assert.rejects(apply(app('Jwt_Bad', `scopes: [api]\nflows: [jwt_bearer]\n${certificateBlock(signer.cert)}`, 'permittedUsers: { policy: adminApprovedPreAuthorized, permissionSets: [Nope] }')), /unknown permission set "Nope"/);
    });
  });
}
