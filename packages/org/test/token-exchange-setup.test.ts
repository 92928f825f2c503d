import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applySetupText } from '../src/setup/apply.js';
import { STORES, startTestOrg, type TestOrg } from './helpers/org.js';

const handler = (apps: string, extra = '') => `apps:
  - { name: Exchange, apiName: Exchange, contactEmail: admin@handshake.demo, oauth: { scopes: [api], flows: [token_exchange] } }
tokenExchangeHandlers:
  - name: IdP
    issuer: https://idp.example
    jwksUrl: https://idp.example/jwks
    apps: ${apps}
${extra}`;

for (const store of STORES) {
  describe(`setup: token exchange handlers are checked before anything is applied (${store.name})`, () => {
    let org: TestOrg;
    before(async () => {
      org = await startTestOrg(store);
    });
    after(() => org.close());
    const apply = (text: string) => applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'test' }, text, 'exchange.yaml');

    it('refuses unknown apps and users, apps without the flow, and two defaults, naming each place', async () => {
      const cases: [string, string, RegExp][] = [
        ['unknown app', handler('[{ app: Nope }]'), /tokenExchangeHandlers\[0\]\.apps\[0\]\.app: unknown app "Nope"/],
        ['app without the flow', handler('[{ app: MuleSoft_Integration }]'), /tokenExchangeHandlers\[0\]\.apps\[0\]\.app: app "MuleSoft_Integration" does not enable the token exchange flow/],
        ['unknown user', handler('[{ app: Exchange }]', '    users: { client-1: ghost@handshake.demo }\n'), /tokenExchangeHandlers\[0\]\.users\.client-1: user "ghost@handshake.demo" does not exist/],
        ['two defaults', `${handler('[{ app: Exchange, default: true }]')}  - { name: IdP2, issuer: x, jwksUrl: 'https://idp.example/jwks', apps: [{ app: Exchange, default: true }] }\n`, /already has a default handler \("IdP"\)/],
        ['a JWKS URL that is not a URL', handler('[{ app: Exchange }]').replace('https://idp.example/jwks', 'not-a-url'), /jwksUrl/],
      ];
      for (const [what, text, message] of cases) await assert.rejects(apply(text), message, what);
      const applied = await apply(handler('[{ app: Exchange, default: true }]'));
      assert.ok(applied.created.includes('token exchange handler IdP'), JSON.stringify(applied));
      assert.ok((await apply(handler('[{ app: Exchange, default: true }]'))).unchanged > 0);
    });
  });
}
