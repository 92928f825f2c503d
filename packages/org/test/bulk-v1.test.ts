import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORES } from './helpers/org.js';
import { startDataOrg, type DataOrg } from './helpers/data-org.js';

for (const store of STORES) {
  describe(`Bulk API 1.0, as jsforce falls back to it (${store.name})`, () => {
    let org: DataOrg;
    before(async () => {
      org = await startDataOrg(store);
    });
    after(() => org.close());
    const countOf = async (soql: string) => (await org.integration.query(soql)).totalSize;

    it('Query#update() and Query#destroy() of more than 200 records go through Bulk API 1.0 and succeed', async () => {
      await org.integration.sobject('Account').create(Array.from({ length: 450 }, (_, i) => ({ Name: `V1 ${i}`, AccountNumber: 'old' })), { allowRecursive: true });
      const updated = await org.integration.sobject('Account').find({ Name: { $like: 'V1 %' } }).update({ AccountNumber: 'new' });
      assert.equal(updated.length, 450);
      assert.ok(updated.every((r) => r.success), JSON.stringify(updated.find((r) => !r.success)));
      assert.equal(await countOf("SELECT Id FROM Account WHERE Name LIKE 'V1 %' AND AccountNumber = 'new'"), 450);
      const destroyed = await org.integration.sobject('Account').find({ Name: { $like: 'V1 %' } }).destroy();
      assert.equal(destroyed.length, 450);
      assert.ok(destroyed.every((r) => r.success));
      assert.equal(await countOf("SELECT Id FROM Account WHERE Name LIKE 'V1 %'"), 0);
    });

    it('bulk.load: results in input order, failures with their Salesforce error; XML errors; the session in X-SFDC-Session', async () => {
      const results = await org.integration.bulk.load('Account', 'insert', [{ Name: 'V1 ok', Phone: '1' }, { Name: '', Phone: '2' }, { Name: 'V1 ok 2', Phone: '3' }]);
      assert.deepEqual(results.map((r) => r.success), [true, false, true]);
      assert.match(String(results[1]!.errors[0]), /^REQUIRED_FIELD_MISSING:/);
      const token = await org.token('MuleSoft_Integration');
      const base = `${org.instanceUrl}/services/async/62.0`;
      const bad = await fetch(`${base}/job`, { method: 'POST', headers: { 'x-sfdc-session': 'nope', 'content-type': 'application/xml' }, body: '<jobInfo/>' });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /<exceptionCode>InvalidSessionId<\/exceptionCode>/);
      const malformed = await fetch(`${base}/job`, { method: 'POST', headers: { 'x-sfdc-session': token, 'content-type': 'application/xml' }, body: '<jobInfo><operation>insert' });
      assert.equal(malformed.status, 400);
      assert.match(await malformed.text(), /<error xmlns="http:\/\/www\.force\.com\/2009\/06\/asyncapi\/dataload"><exceptionCode>/);
      const hidden = await fetch(`${base}/job`, { method: 'POST', headers: { 'x-sfdc-session': await org.token('Reader_Tools'), 'content-type': 'application/xml' }, body: '<?xml version="1.0"?><jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><operation>delete</operation><object>Account</object><contentType>CSV</contentType></jobInfo>' });
      assert.equal(hidden.status, 400, 'a read-only user cannot open a delete job');
      assert.match(await hidden.text(), /InvalidOperation/);
    });
  });
}
