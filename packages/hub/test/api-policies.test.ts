import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { form, startTestOrg, type TestOrg } from '../../org/test/helpers/org.js';
import { saveFlow } from '../src/flows/flows.js';
import { loadHubPolicies } from '../src/policies/hub-policies.js';
import { STORES, startTestHub, until, type TestHub } from './helpers.js';
import { IDP_CLIENT, RESOURCE, startResourceIdp, type ResourceIdp } from './resource-idp.js';

const ISSUER = 'https://issuer.test';
const actor = { name: 'policy test' };

/** A JWKS of our own, to sign tokens with any claims (expired, wrong audience…) as a real issuer would. */
async function startJwks() {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  const sign = (claims: Record<string, unknown>, exp = Math.floor(Date.now() / 1000) + 300) => new SignJWT({ scope: 'orders:write', client_id: 'erp-client', ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(String(claims.iss ?? ISSUER)).setAudience(String(claims.aud ?? 'https://hub.test')).setSubject('erp-robot').setExpirationTime(exp).setIssuedAt().sign(privateKey);
  return { url, sign, close: () => server.close() };
}

const flow = (name: string, policies: string) => `name: ${name}
trigger:
  type: webhook
  idPath: ref
  policies:
${policies.trim().split('\n').map((l) => `    ${l}`).join('\n')}
conditions: ["false"]
actions:
  - name: create-lead
    type: salesforce.create
    connection: Salesforce
    object: Lead
    mapping:
      LastName: { path: ref }
      Company: { const: Policy Co }
`;

for (const store of STORES) {
  describe(`inbound API policies on webhooks and the API (${store.name})`, () => {
    let org: TestOrg;
    let idp: ResourceIdp;
    let jwks: Awaited<ReturnType<typeof startJwks>>;
    let hub: TestHub;
    let apiKey: string;
    const post = (name: string, body: unknown, headers: Record<string, string> = {}) => fetch(`${hub.url}/api/v1/hooks/${name}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    before(async () => {
      org = await startTestOrg(STORES[0]!);
      idp = await startResourceIdp();
      jwks = await startJwks();
      hub = await startTestHub(store);
      apiKey = await hub.key(['connections:write', 'flows:trigger', 'flows:read']);
      const conn = await hub.api(apiKey, 'POST', '/api/v1/connections', { name: 'Salesforce', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: org.instanceUrl, consumerKey: org.consumerKey, consumerSecret: org.consumerSecret } });
      assert.equal(conn.status, 201, conn.text);
      const idpRes = await hub.api(apiKey, 'POST', '/api/v1/identity-providers', { name: 'IdP', tokenUrl: `${idp.issuer}/token`, clientId: IDP_CLIENT.id, clientSecret: IDP_CLIENT.secret });
      assert.equal(idpRes.status, 201, idpRes.text);
      await saveFlow(hub.ctx, actor, flow('oidc', `- { type: jwt, issuer: "${idp.issuer}", jwksUrl: "${idp.issuer}/jwks", audience: "${RESOURCE}", requiredScopes: [erp] }\n- { type: clientId, allow: [${IDP_CLIENT.id}] }`));
      await saveFlow(hub.ctx, actor, flow('strict', `- { type: jwt, issuer: "${ISSUER}", jwksUrl: "${jwks.url}", audience: "https://hub.test", requiredScopes: [orders:write], claims: { tenant: acme }, clockSkew: 60s }\n- { type: clientId, allow: [erp-client, erp-batch] }\n- { type: rateLimit, requests: 3, per: 1m }`));
      await saveFlow(hub.ctx, actor, flow('introspected', `- { type: introspection, url: "${idp.issuer}/token/introspection", identityProvider: IdP }`));
      await saveFlow(hub.ctx, actor, flow('office-only', '- { type: ipAllowlist, allow: [10.0.0.0/8, "2001:db8::/32"] }'));
    });
    after(async () => {
      await hub.close();
      await org.close();
      idp.close();
      jwks.close();
    });

    it('a real IdP\'s JWT (oidc-provider) passes JWT validation and client id enforcement; the run names the caller', async () => {
      const token = String((await form(`${idp.issuer}/token`, { grant_type: 'client_credentials', client_id: IDP_CLIENT.id, client_secret: IDP_CLIENT.secret, resource: RESOURCE, scope: 'erp' })).body.access_token);
      const res = await post('oidc', { ref: 'OIDC-1' }, bearer(token));
      assert.equal(res.status, 202, await res.text());
      const runs = await until('the run', async () => {
        const list = await hub.api(apiKey, 'GET', '/api/v1/flows/oidc/runs');
        const found = list.body.runs as { caller: string }[];
        return found.length ? found : undefined;
      });
      assert.equal(runs[0]!.caller, `sub:${IDP_CLIENT.id} client:${IDP_CLIENT.id} iss:${idp.issuer}`);
      // A token policy stands in for the API key: the key alone is not a token from the IdP.
      const keyOnly = await post('oidc', { ref: 'OIDC-2' }, bearer(apiKey));
      assert.equal(keyOnly.status, 401);
    });

    it('refuses expired, wrong-audience, wrong-issuer, not-yet-valid, missing-scope, wrong-claim and wrong-client tokens with the right status', async () => {
      const now = Math.floor(Date.now() / 1000);
      const good = { tenant: 'acme' };
      const cases: [string, Promise<string> | string | undefined, number, RegExp][] = [
        ['no token', undefined, 401, /Send a JWT/],
        ['expired', jwks.sign(good, now - 120), 401, /has expired/],
        ['wrong audience', jwks.sign({ ...good, aud: 'https://other.test' }), 401, /aud claim is not accepted/],
        ['wrong issuer', jwks.sign({ ...good, iss: 'https://evil.test' }), 401, /iss claim is not accepted/],
        ['not yet valid', jwks.sign({ ...good, nbf: now + 600 }), 401, /nbf claim is not accepted/],
        ['missing scope', jwks.sign({ ...good, scope: 'orders:read' }), 403, /lacks the scope orders:write/],
        ['wrong claim', jwks.sign({ tenant: 'globex' }), 403, /tenant claim/],
        ['wrong client', jwks.sign({ ...good, client_id: 'stranger' }), 403, /client stranger is not allowed/],
        ['not a JWT', 'garbage', 401, /not a JWT signed by the identity provider/],
      ];
      for (const [what, token, status, detail] of cases) {
        const res = await post('strict', { ref: what }, token ? bearer(await token) : {});
        assert.equal(res.status, status, what);
        assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, what);
        const body = (await res.json()) as { detail: string };
        assert.match(body.detail, detail, what);
        if (status === 401) assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/, what);
      }
      // Expired 30 s ago, within the 60 s clock skew: accepted.
      const skewed = await post('strict', { ref: 'SKEW-1' }, bearer(await jwks.sign(good, now - 30)));
      assert.equal(skewed.status, 202);
    });

    it('rate limits each client: the fourth call in a minute is 429 with Retry-After; another client has its own allowance', async () => {
      const token = await jwks.sign({ tenant: 'acme', client_id: 'erp-batch' });
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 4; i++) {
        const res = await post('strict', { ref: `RATE-${i}` }, bearer(token));
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
      }
      assert.deepEqual(statuses, [202, 202, 202, 429]);
      assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60, `Retry-After: ${retryAfter}`);
      // erp-client has used one call of its minute (the clock skew case above).
      assert.equal((await post('strict', { ref: 'RATE-other' }, bearer(await jwks.sign({ tenant: 'acme' })))).status, 202);
    });

    it('introspection: an active token from the IdP passes, a made-up one is 401', async () => {
      const opaque = String((await form(`${idp.issuer}/token`, { grant_type: 'client_credentials', client_id: IDP_CLIENT.id, client_secret: IDP_CLIENT.secret })).body.access_token);
      assert.equal((await post('introspected', { ref: 'INTRO-1' }, bearer(opaque))).status, 202);
      const bogus = await post('introspected', { ref: 'INTRO-2' }, bearer('made-up-token-value'));
      assert.equal(bogus.status, 401);
      assert.match(((await bogus.json()) as { detail: string }).detail, /not active/);
    });

    it('an IP allowlist refuses 127.0.0.1 (it still asks for the API key first), and rejections are counted and audited with the caller', async () => {
      const res = await post('office-only', { ref: 'IP-1' }, bearer(apiKey));
      assert.equal(res.status, 403);
      assert.match(((await res.json()) as { detail: string }).detail, /calls from 127\.0\.0\.1 are not allowed here/);
      const metrics = await (await fetch(`${hub.url}/metrics`)).text();
      assert.match(metrics, /handshake_hub_policy_rejections_total\{policy="jwt",endpoint="hooks\/strict",status="401"\} [1-9]/);
      assert.match(metrics, /handshake_hub_policy_rejections_total\{policy="ipAllowlist",endpoint="hooks\/office-only",status="403"\} 1/);
      const audit = await hub.ctx.db.selectFrom('audit').select(['actor', 'detail', 'outcome']).where('action', '=', 'policy.reject').execute();
      assert.ok(audit.some((a) => a.actor === 'api-key:test' && a.outcome === '403' && /ipAllowlist/.test(a.detail ?? '')), JSON.stringify(audit));
      assert.ok(audit.some((a) => a.actor === 'sub:erp-robot client:stranger iss:https://issuer.test' && /clientId/.test(a.detail ?? '')), JSON.stringify(audit));
      assert.ok(!JSON.stringify(audit).includes('eyJ'), 'no token in the audit log');
    });

    it('the hub-wide policies file: API policies that do not authenticate, refused whole when wrong', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hs-policies-'));
      try {
        const file = join(dir, 'policies.yaml');
        writeFileSync(file, 'api:\n  - { type: jwt, issuer: x, jwksUrl: "https://idp.example/jwks" }\n');
        await assert.rejects(loadHubPolicies(file, { allowPrivateNetworks: false }), /api\.0: a jwt policy authenticates callers/);
        writeFileSync(file, `webhooks:\n  - { type: jwt, issuer: x, jwksUrl: "${jwks.url}" }\n`);
        await assert.rejects(loadHubPolicies(file, { allowPrivateNetworks: false }), /webhooks\.0: /);
        writeFileSync(file, 'api:\n  - { type: ipAllowlist, allow: [10.0.0.0/8] }\n  - { type: rateLimit, requests: 2, per: 1m }\n');
        const policies = await loadHubPolicies(file, { allowPrivateNetworks: false });
        const guarded = await startTestHub(store, { policies });
        try {
          const refused = await fetch(`${guarded.url}/api/v1/flows`, { headers: bearer(await guarded.key(['flows:read'])) });
          assert.equal(refused.status, 403);
          assert.equal((await fetch(`${guarded.url}/healthz`)).status, 200, 'probes stay open');
          // Without --trust-proxy a client cannot claim an address: X-Forwarded-For is ignored.
          const claimed = await fetch(`${guarded.url}/api/v1/flows`, { headers: { ...bearer(await guarded.key(['flows:read'])), 'x-forwarded-for': '10.1.2.3' } });
          assert.equal(claimed.status, 403);
        } finally {
          await guarded.close();
        }
        // Behind a trusted proxy (this test's own address), the address it forwards is the client's.
        writeFileSync(file, 'api:\n  - { type: ipAllowlist, allow: [203.0.113.0/24] }\n');
        const proxied = await startTestHub(store, { policies: await loadHubPolicies(file, { allowPrivateNetworks: false }), trustProxy: ['127.0.0.1'] });
        try {
          const key = await proxied.key(['flows:read']);
          const via = (forwarded?: string) => fetch(`${proxied.url}/api/v1/flows`, { headers: { ...bearer(key), ...(forwarded ? { 'x-forwarded-for': forwarded } : {}) } }).then((r) => r.status);
          assert.deepEqual([await via('203.0.113.7'), await via('198.51.100.1, 203.0.113.7'), await via('198.51.100.1'), await via()], [200, 200, 403, 403]);
        } finally {
          await proxied.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
