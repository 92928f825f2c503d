import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { STORES } from './helpers/org.js';
import { startDataOrg, type DataOrg } from './helpers/data-org.js';

describe('@salesforce/core Connection (unmodified) against the org', () => {
  let org: DataOrg;
  before(async () => {
    // @salesforce/core keeps its state under the home folder and checks My Domain DNS; keep both local.
    process.env.HOME = mkdtempSync(join(tmpdir(), 'hs-sfcore-home-'));
    process.env.SF_DISABLE_DNS_CHECK = 'true';
    process.env.SF_DISABLE_TELEMETRY = 'true';
    org = await startDataOrg(STORES[0]!);
  });
  after(() => org.close());

  it('authenticates with an access token and instance URL, finds the latest API version, queries and describes', async () => {
    const { AuthInfo, Connection } = await import('@salesforce/core');
    const token = await org.token('MuleSoft_Integration');
    await org.integration.sobject('Account').create({ Name: 'From sf core' });
    const authInfo = await AuthInfo.create({ username: token, accessTokenOptions: { accessToken: token, instanceUrl: org.instanceUrl } });
    const connection = await Connection.create({ authInfo });
    assert.equal(await connection.retrieveMaxApiVersion(), '66.0');
    connection.setApiVersion('66.0');
    const result = await connection.query<{ Name: string }>("SELECT Id, Name FROM Account WHERE Name = 'From sf core'");
    assert.deepEqual(result.records.map((r) => r.Name), ['From sf core']);
    const describe = await connection.describe('Account');
    assert.ok(describe.fields.some((f) => f.name === 'Name'));
    assert.ok(!describe.fields.some((f) => f.name === 'Industry'), 'field-level security applies through @salesforce/core too');
    const single = await connection.singleRecordQuery<{ Name: string }>("SELECT Name FROM Account WHERE Name = 'From sf core'");
    assert.equal(single.Name, 'From sf core');
  });
});
