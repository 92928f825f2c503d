import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clientCredentials, STORES, startTestOrg, type TestOrg } from './helpers/org.js';

for (const store of STORES) {
  describe(`SOQL LIKE: escaped wildcards are the characters themselves (${store.name})`, () => {
    let org: TestOrg;
    let token: string;
    const names = ['like_under', 'likeXunder', 'like%pct', 'likeYpct', 'Like Back\\slash'];
    const query = async (where: string) => {
      const soql = `SELECT LastName FROM Lead WHERE Company = 'Like Co' AND ${where} ORDER BY LastName`;
      const res = await fetch(`${org.instanceUrl}/services/data/v62.0/query?q=${encodeURIComponent(soql)}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, await res.clone().text());
      return ((await res.json()) as { records: { LastName: string }[] }).records.map((r) => r.LastName);
    };
    before(async () => {
      org = await startTestOrg(store);
      token = (await clientCredentials(org)).body.access_token as string;
      for (const LastName of names) {
        const res = await fetch(`${org.instanceUrl}/services/data/v62.0/sobjects/Lead`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ LastName, Company: 'Like Co' }) });
        assert.equal(res.status, 201);
      }
    });
    after(() => org.close());

    it('\\_ and \\% match only themselves; _ and % stay wildcards; case does not matter', async () => {
      assert.deepEqual(await query("LastName LIKE '%\\_%'"), ['like_under']);
      assert.deepEqual(await query("LastName LIKE 'like_under'"), ['like_under', 'likeXunder']);
      assert.deepEqual(await query("LastName LIKE '%\\%%'"), ['like%pct']);
      assert.deepEqual(await query("LastName LIKE 'LIKE%PCT'"), ['like%pct', 'likeYpct']);
      assert.deepEqual(await query("LastName LIKE '%\\\\%'"), ['Like Back\\slash']);
    });
  });
}
