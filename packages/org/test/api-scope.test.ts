import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clientCredentials, STORES, startTestOrg, type TestOrg } from './helpers/org.js';

for (const store of STORES) {
  describe(`the REST API needs a token with the api scope (${store.name})`, () => {
    let org: TestOrg;
    let leadId: string;
    before(async () => {
      org = await startTestOrg(store);
      const full = (await clientCredentials(org)).body.access_token as string;
      const res = await fetch(`${org.instanceUrl}/services/data/v62.0/sobjects/Lead`, { method: 'POST', headers: { authorization: `Bearer ${full}`, 'content-type': 'application/json' }, body: JSON.stringify({ LastName: 'Scoped', Company: 'Scope Co' }) });
      leadId = ((await res.json()) as { id: string }).id;
    });
    after(() => org.close());

    it('refuses a token granted without api or full, on every data path (the fast record path too)', async () => {
      const token = await clientCredentials(org, { scope: 'refresh_token' });
      assert.equal(token.status, 200, JSON.stringify(token.body));
      assert.ok(!String(token.body.scope).split(' ').includes('api'), `granted: "${String(token.body.scope)}"`);
      for (const path of ['/sobjects/Lead/describe', `/sobjects/Lead/${leadId}`, '/query?q=SELECT+Id+FROM+Lead', '/apps/oauth/usage']) {
        const res = await fetch(`${org.instanceUrl}/services/data/v65.0${path}`, { headers: { authorization: `Bearer ${String(token.body.access_token)}` } });
        assert.equal(res.status, 401, path);
        assert.deepEqual(await res.json(), [{ message: 'This session is not valid for use with the REST API', errorCode: 'INVALID_SESSION_ID' }], path);
      }
      // The record fast path and fastify's routes make one session check: a tampered or revoked token fails both alike.
      const live = (await clientCredentials(org)).body.access_token as string;
      const tampered = `${live.slice(0, -4)}${live.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
      const revoked = (await clientCredentials(org)).body.access_token as string;
      await fetch(`${org.instanceUrl}/services/oauth2/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: revoked }) });
      for (const [name, bad] of [['tampered', tampered], ['revoked', revoked]] as const) {
        for (const path of [`/sobjects/Lead/${leadId}`, '/sobjects/Lead/describe']) {
          const res = await fetch(`${org.instanceUrl}/services/data/v62.0${path}`, { headers: { authorization: `Bearer ${bad}` } });
          assert.equal(res.status, 401, `${name} ${path}`);
          assert.equal(((await res.json()) as { errorCode: string }[])[0]!.errorCode, 'INVALID_SESSION_ID');
        }
      }
      const api = (await clientCredentials(org, { scope: 'api' })).body.access_token as string;
      const ok = await fetch(`${org.instanceUrl}/services/data/v62.0/sobjects/Lead/${leadId}`, { headers: { authorization: `Bearer ${api}` } });
      assert.equal(ok.status, 200, 'a token with api reads the record');
    });
  });
}
