import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Connection } from 'jsforce';
import { STORES } from './helpers/org.js';
import { errorCodeOf, rest, startDataOrg, type DataOrg } from './helpers/data-org.js';

// Issue 16: what unmodified clients (jsforce 3.10.16, @salesforce/core 8.32.5) do that failed before.
for (const store of STORES) {
  describe(`the org as real clients use it (${store.name})`, () => {
    let org: DataOrg;
    let token: string;
    let home: string;
    before(async () => {
      home = mkdtempSync(join(tmpdir(), 'hs-sfcore-home-'));
      process.env.HOME = home;
      process.env.SF_DISABLE_DNS_CHECK = 'true';
      process.env.SF_DISABLE_TELEMETRY = 'true';
      org = await startDataOrg(store);
      token = await org.token('MuleSoft_Integration');
    });
    after(async () => {
      await org.close();
      rmSync(home, { recursive: true, force: true });
    });
    const countOf = async (soql: string) => (await org.integration.query(soql)).totalSize;

    it('@salesforce/core: an access-token login finds its own username, deletes with its JSON content type, and reads Organization', async () => {
      const { AuthInfo, Connection: CoreConnection } = await import('@salesforce/core');
      // Username-less, as `sf org login access-token` does: the User record is read with the user's own token.
      const auth = await AuthInfo.create({ accessTokenOptions: { accessToken: token, instanceUrl: org.instanceUrl } });
      assert.equal(auth.getUsername(), 'integration@handshake.demo');
      const core = await CoreConnection.create({ authInfo: auth });
      core.setApiVersion('62.0');
      const created = await org.integration.sobject('Account').create({ Name: 'Deleted by sf core' });
      const deleted = await core.sobject('Account').destroy(created.id!);
      assert.equal(deleted.success, true);
      assert.equal(await countOf("SELECT Id FROM Account WHERE Name = 'Deleted by sf core'"), 0);
      const organization = await core.singleRecordQuery<{ Name: string; IsSandbox: boolean; TrialExpirationDate: string | null; OrganizationType: string }>('SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix, OrganizationType FROM Organization');
      assert.equal(organization.IsSandbox, false);
      assert.equal(organization.TrialExpirationDate, null);
      assert.equal(organization.OrganizationType, 'Developer Edition');
      assert.equal(await errorCodeOf(org.integration.sobject('Organization').create({ Name: 'x' })), 'INSUFFICIENT_ACCESS_OR_READONLY');
    });

    it('every user reads users, but writes none; a body-less POST with a JSON content type is still refused', async () => {
      const reader = await org.reader.query<{ Username: string }>("SELECT Username FROM User WHERE Username = 'integration@handshake.demo'");
      assert.equal(reader.records[0]?.Username, 'integration@handshake.demo');
      const owner = await org.integration.query<{ Owner: { Name: string } }>('SELECT Owner.Name FROM Account LIMIT 1');
      assert.ok(owner.records.every((r) => typeof r.Owner.Name === 'string'));
      const empty = await fetch(`${org.instanceUrl}/services/data/v62.0/sobjects/Account`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
      assert.equal(empty.status, 400);
      assert.equal(((await empty.json()) as { errorCode: string }[])[0]?.errorCode, 'JSON_PARSER_ERROR');
    });

    it('takes an instance URL with a trailing slash (//services/…) and /vXX.X/, but a // inside a path stays 404', async () => {
      const slashed = new Connection({ instanceUrl: `${org.instanceUrl}/`, accessToken: token, version: '62.0' });
      await slashed.sobject('Account').create({ Name: 'Via double slash' });
      assert.equal((await slashed.query("SELECT Id FROM Account WHERE Name = 'Via double slash'")).totalSize, 1);
      assert.equal((await rest(org, token, 'GET', '/')).status, 200);
      assert.equal((await rest(org, token, 'GET', '/query/?q=SELECT+Id+FROM+Account+LIMIT+1')).status, 200);
      const inside = await fetch(`${org.instanceUrl}/services/data/v62.0//sobjects`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(inside.status, 404);
    });

    it('query?columns=true answers the columns sf data query lays out (fields, parents, children, aggregates), with access applied', async () => {
      const columns = await rest(org, token, 'GET', `/query?q=${encodeURIComponent('SELECT Id, Name, Owner.Name, (SELECT LastName FROM Contacts) FROM Account')}&columns=true`);
      assert.equal(columns.status, 200, JSON.stringify(columns.body));
      assert.equal(columns.body.entityName, 'Account');
      assert.equal(columns.body.idSelected, true);
      const [id, name, owner, contacts] = columns.body.columnMetadata;
      assert.deepEqual([id.columnName, id.apexType, name.apexType, name.textType], ['Id', 'Id', 'String', true]);
      assert.deepEqual([owner.columnName, owner.foreignKeyName, owner.joinColumns[0].columnName, owner.joinColumns[0].joinColumns], ['Owner', 'OwnerId', 'Name', []]);
      assert.deepEqual([contacts.columnName, contacts.aggregate, contacts.joinColumns[0].columnName], ['Contacts', true, 'LastName']);
      const aggregate = await rest(org, token, 'GET', `/query?q=${encodeURIComponent('SELECT COUNT(Id) FROM Account')}&columns=true`);
      assert.deepEqual([aggregate.body.columnMetadata[0].columnName, aggregate.body.columnMetadata[0].displayName, aggregate.body.groupBy], ['expr0', 'count(Id)', true]);
      const hidden = await rest(org, token, 'GET', `/query?q=${encodeURIComponent('SELECT Industry FROM Account')}&columns=true`);
      assert.equal(hidden.body[0].errorCode, 'INVALID_FIELD', 'a field hidden by field-level security is no column');
    });

    it('/limits/recordCount counts live records of readable objects (bare ?sObjects, or named; unknown names left out); /limits storage moves with the data', async () => {
      const before = (await rest(org, token, 'GET', '/limits')).body.DataStorageMB.Remaining as number;
      const records = Array.from({ length: 200 }, (_, i) => ({ Name: `Storage ${i}` }));
      for (let i = 0; i < 3; i++) await org.integration.sobject('Account').create(records);
      const accounts = await countOf('SELECT Id FROM Account');
      const named = await rest(org, token, 'GET', '/limits/recordCount?sObjects=Account,NoSuchThing__c,Invoice__c');
      assert.deepEqual(named.body.sObjects.map((s: { name: string }) => s.name).sort(), ['Account', 'Invoice__c']);
      assert.equal(named.body.sObjects.find((s: { name: string }) => s.name === 'Account').count, accounts);
      const all = await rest(org, token, 'GET', '/limits/recordCount?sObjects');
      assert.ok(all.body.sObjects.some((s: { name: string }) => s.name === 'Lead'));
      assert.ok(!all.body.sObjects.some((s: { name: string }) => s.name === 'ContentNote'), 'only objects that exist');
      const readerCounts = await rest(org, await org.token('Reader_Tools'), 'GET', '/limits/recordCount?sObjects');
      assert.ok(!readerCounts.body.sObjects.some((s: { name: string }) => s.name === 'Lead'), 'an object the user cannot read is not counted');
      const after = (await rest(org, token, 'GET', '/limits')).body.DataStorageMB.Remaining as number;
      assert.ok(after < before, `600 records (1.2 MB at 2 KB each) use data storage: ${before} → ${after}`);
    });

    it('describe answers If-Modified-Since with 304 until setup changes the schema or permissions, and If-Unmodified-Since with 412 after', async () => {
      await new Promise((r) => setTimeout(r, 1100));
      const since = new Date().toUTCString();
      await new Promise((r) => setTimeout(r, 1100));
      for (const path of ['/sobjects', '/sobjects/Account/describe']) {
        const unchanged = await rest(org, token, 'GET', path, undefined, { 'if-modified-since': since });
        assert.deepEqual([unchanged.status, unchanged.body], [304, undefined], path);
      }
      const { applySetupText } = await import('../src/setup/apply.js');
      await applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'test' }, 'objects:\n  Account:\n    fields:\n      Region__c: { type: text, length: 20 }\n', 'region.yaml');
      await org.data.reload();
      const changed = await rest(org, token, 'GET', '/sobjects/Account/describe', undefined, { 'if-modified-since': since });
      assert.equal(changed.status, 200, 'a new field is a change');
      const precondition = await rest(org, token, 'GET', '/sobjects/Account/describe', undefined, { 'if-unmodified-since': since });
      assert.deepEqual([precondition.status, precondition.body[0].errorCode], [412, 'PRECONDITION_FAILED']);
      assert.equal((await rest(org, token, 'GET', '/sobjects/Account/describe', undefined, { 'if-modified-since': 'not a date' })).status, 200);
    });

    it('/composite: references between subrequests, Location headers, 204 bodies, a halted dependent; allOrNone rolls everything back', async () => {
      const v = '/services/data/v62.0';
      const ok = await rest(org, token, 'POST', '/composite', {
        compositeRequest: [
          { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'acc', body: { Name: 'Composite Co' } },
          { method: 'POST', url: `${v}/sobjects/Contact`, referenceId: 'con', body: { LastName: 'Ref', AccountId: '@{acc.id}' } },
          { method: 'GET', url: `${v}/query?q=SELECT+Id,Name+FROM+Account+WHERE+Id='@{acc.id}'`, referenceId: 'q' },
          { method: 'PATCH', url: `${v}/sobjects/Account/@{q.records[0].Id}`, referenceId: 'upd', body: { Phone: '555' } },
          { method: 'GET', url: `${v}/sobjects/Contact/@{con.id}?fields=AccountId`, referenceId: 'get' },
        ],
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const [acc, con, q, upd, get] = ok.body.compositeResponse;
      assert.equal(acc.httpStatusCode, 201);
      assert.match(acc.httpHeaders.Location, /^\/services\/data\/v62\.0\/sobjects\/Account\/001/);
      assert.equal(con.httpStatusCode, 201);
      assert.equal(q.body.records[0].Name, 'Composite Co');
      assert.deepEqual([upd.httpStatusCode, upd.body], [204, null]);
      assert.equal(get.body.AccountId, acc.body.id);

      const partial = await rest(org, token, 'POST', '/composite', {
        allOrNone: false,
        compositeRequest: [
          { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'bad', body: {} },
          { method: 'POST', url: `${v}/sobjects/Contact`, referenceId: 'dependent', body: { LastName: 'Orphan', AccountId: '@{bad.id}' } },
          { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'independent', body: { Name: 'Independent Co' } },
        ],
      });
      const [bad, dependent, independent] = partial.body.compositeResponse;
      assert.equal(bad.body[0].errorCode, 'REQUIRED_FIELD_MISSING');
      assert.deepEqual([dependent.httpStatusCode, dependent.body[0].errorCode], [400, 'PROCESSING_HALTED']);
      assert.equal(independent.httpStatusCode, 201);
      assert.equal(await countOf("SELECT Id FROM Contact WHERE LastName = 'Orphan'"), 0);

      // Name has no unique index: a count of it shows whether the first create survived the rollback.
      const atomic = await rest(org, token, 'POST', '/composite', {
        allOrNone: true,
        compositeRequest: [
          { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'first', body: { Name: 'All or none Co' } },
          { method: 'PATCH', url: `${v}/sobjects/Account/${acc.body.id}`, referenceId: 'change', body: { Phone: '999' } },
          { method: 'POST', url: `${v}/sobjects/Contact`, referenceId: 'broken', body: { FirstName: 'No last name', AccountId: '@{first.id}' } },
          { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'after', body: { Name: 'Never Co' } },
        ],
      });
      const byRef = Object.fromEntries(atomic.body.compositeResponse.map((r: { referenceId: string; httpStatusCode: number; body: { errorCode: string }[] }) => [r.referenceId, [r.httpStatusCode, r.body[0]?.errorCode]]));
      assert.deepEqual(byRef, { first: [400, 'PROCESSING_HALTED'], change: [400, 'PROCESSING_HALTED'], broken: [400, 'REQUIRED_FIELD_MISSING'], after: [400, 'PROCESSING_HALTED'] });
      assert.equal(await countOf("SELECT Id FROM Account WHERE Name = 'All or none Co'"), 0, 'the created account was rolled back');
      assert.equal((await org.integration.sobject('Account').retrieve(String(acc.body.id)) as unknown as { Phone: string }).Phone, '555', 'the update was rolled back');
    });

    it('/composite enforces access per subrequest and refuses malformed requests whole, before anything runs', async () => {
      const v = '/services/data/v62.0';
      const reader = await org.token('Reader_Tools');
      const denied = await rest(org, reader, 'POST', '/composite', { compositeRequest: [
        { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'a', body: { Name: 'Reader made' } },
        { method: 'GET', url: `${v}/sobjects/Lead/00Q000000000000AAA`, referenceId: 'hidden' },
        { method: 'GET', url: `${v}/query?q=SELECT+Industry+FROM+Account`, referenceId: 'fls' },
      ] });
      const codes = denied.body.compositeResponse.map((r: { body: { errorCode: string }[] }) => r.body[0]!.errorCode);
      assert.deepEqual(codes, ['INSUFFICIENT_ACCESS_OR_READONLY', 'NOT_FOUND', 'INVALID_FIELD']);
      assert.equal(await countOf("SELECT Id FROM Account WHERE Name = 'Reader made'"), 0);
      const sub = (i: number) => ({ method: 'POST', url: `${v}/sobjects/Account`, referenceId: `r${i}`, body: { Name: `Too many ${i}` } });
      const bad: [string, unknown][] = [
        ['26 subrequests', { compositeRequest: Array.from({ length: 26 }, (_, i) => sub(i)) }],
        ['a reused referenceId', { compositeRequest: [sub(1), sub(1)] }],
        ['a url outside the data API', { compositeRequest: [{ method: 'GET', url: '/services/oauth2/userinfo', referenceId: 'x' }] }],
        ['a path escaping with ../', { compositeRequest: [{ method: 'GET', url: `${v}/sobjects/../../oauth2/userinfo`, referenceId: 'x' }] }],
        ['CR/LF in a url', { compositeRequest: [{ method: 'GET', url: `${v}/sobjects/Account/x\r\nX-Injected: 1`, referenceId: 'x' }] }],
        ['six queries', { compositeRequest: Array.from({ length: 6 }, (_, i) => ({ method: 'GET', url: `${v}/query?q=SELECT+Id+FROM+Account`, referenceId: `q${i}` })) }],
        ['no list', { allOrNone: true }],
        ['a non-boolean allOrNone', { allOrNone: 'yes', compositeRequest: [sub(1)] }],
      ];
      for (const [name, body] of bad) {
        const res = await rest(org, token, 'POST', '/composite', body);
        assert.equal(res.status, 400, `${name}: ${JSON.stringify(res.body)}`);
        assert.ok(typeof res.body[0].message === 'string' && res.body[0].message.length > 10, name);
      }
      assert.equal(await countOf("SELECT Id FROM Account WHERE Name LIKE 'Too many%'"), 0, 'a refused request ran nothing');
      const deep = JSON.parse(`${'{"a":'.repeat(60)}"@{nothing.id}"${'}'.repeat(60)}`);
      const nested = await rest(org, token, 'POST', '/composite', { compositeRequest: [{ method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'deep', body: deep }] });
      assert.equal(nested.status, 200);
      assert.ok(nested.body.compositeResponse[0].httpStatusCode >= 400);
    });

    it('/composite/graph: each graph all or nothing on its own; a bad graph is rolled back and the others kept', async () => {
      const v = '/services/data/v62.0';
      const res = await rest(org, token, 'POST', '/composite/graph', { graphs: [
        { graphId: 'good', compositeRequest: [
          { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'acc', body: { Name: 'Graph Good' } },
          { method: 'POST', url: `${v}/sobjects/Contact`, referenceId: 'con', body: { LastName: 'Graphson', AccountId: '@{acc.id}' } },
        ] },
        { graphId: 'bad', compositeRequest: [
          { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'acc', body: { Name: 'Graph Bad' } },
          { method: 'POST', url: `${v}/sobjects/Contact`, referenceId: 'con', body: { FirstName: 'No last name', AccountId: '@{acc.id}' } },
        ] },
      ] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.graphs.map((g: { graphId: string; isSuccessful: boolean }) => [g.graphId, g.isSuccessful]), [['good', true], ['bad', false]]);
      assert.equal(res.body.graphs[1].graphResponse.compositeResponse[0].body[0].errorCode, 'PROCESSING_HALTED');
      assert.equal(await countOf("SELECT Id FROM Account WHERE Name = 'Graph Good'"), 1);
      assert.equal(await countOf("SELECT Id FROM Account WHERE Name = 'Graph Bad'"), 0, 'the failed graph was rolled back');
      for (const bad of [{ graphs: [] }, { graphs: [{ graphId: 'x', compositeRequest: [] }] }, { graphs: [{ graphId: 'a', compositeRequest: [{ method: 'GET', url: `${v}/sobjects/Account/x`, referenceId: 'r' }] }, { graphId: 'a', compositeRequest: [{ method: 'GET', url: `${v}/sobjects/Account/x`, referenceId: 'r' }] }] }]) {
        assert.equal((await rest(org, token, 'POST', '/composite/graph', bad)).status, 400, JSON.stringify(bad));
      }
    });

    it('/composite/batch: independent subrequests from vXX.X/, haltOnError answers the rest 412', async () => {
      const res = await rest(org, token, 'POST', '/composite/batch', { haltOnError: true, batchRequests: [
        { method: 'POST', url: 'v62.0/sobjects/Account', richInput: { Name: 'Batch Co' } },
        { method: 'PATCH', url: 'v62.0/sobjects/Account/001000000000000AAA', richInput: { Name: 'x' } },
        { method: 'GET', url: 'v62.0/query?q=SELECT+Id+FROM+Account' },
      ] });
      assert.equal(res.status, 200);
      assert.equal(res.body.hasErrors, true);
      assert.deepEqual(res.body.results.map((r: { statusCode: number }) => r.statusCode), [201, 404, 412]);
      assert.equal(res.body.results[2].result[0].errorCode, 'BATCH_PROCESSING_HALTED');
      assert.equal(await countOf("SELECT Id FROM Account WHERE Name = 'Batch Co'"), 1, 'each batch subrequest commits on its own');
    });

    it('/composite/tree (sf data import tree): parents and children in one call, results level by level; a bad child leaves nothing', async () => {
      const tree = (suffix: string, email: string) => ({ records: [
        { attributes: { type: 'Account', referenceId: 'acc1' }, Name: `Tree A ${suffix}`, Contacts: { records: [
          { attributes: { type: 'Contact', referenceId: 'c1' }, LastName: `One ${suffix}`, Email: email },
          { attributes: { type: 'Contact', referenceId: 'c2' }, LastName: `Two ${suffix}` },
        ] } },
        { attributes: { type: 'Account', referenceId: 'acc2' }, Name: `Tree B ${suffix}` },
      ] });
      const res = await org.integration.request<{ hasErrors: boolean; results: { referenceId: string; id: string }[] }>({ method: 'POST', url: '/composite/tree/Account', body: JSON.stringify(tree('ok', 'one@example.com')), headers: { 'content-type': 'application/json' } });
      assert.equal(res.hasErrors, false);
      assert.deepEqual(res.results.map((r) => r.referenceId), ['acc1', 'acc2', 'c1', 'c2']);
      const contact = await org.integration.sobject('Contact').retrieve(res.results[2]!.id) as { AccountId: string };
      assert.equal(contact.AccountId, res.results[0]!.id);
      const failed = await rest(org, token, 'POST', '/composite/tree/Account', tree('bad', 'not an email'));
      assert.equal(failed.status, 400);
      assert.deepEqual(failed.body.results.map((r: { referenceId: string; errors: { statusCode: string }[] }) => [r.referenceId, r.errors[0]!.statusCode]), [['c1', 'INVALID_EMAIL_ADDRESS']]);
      assert.equal(await countOf("SELECT Id FROM Account WHERE Name LIKE 'Tree % bad'"), 0, 'the accounts of a failed tree were rolled back');
      const wrongType = await rest(org, token, 'POST', '/composite/tree/Account', { records: [{ attributes: { type: 'Contact', referenceId: 'x' }, LastName: 'x' }] });
      assert.equal(wrongType.status, 400);
      const noRelationship = await rest(org, token, 'POST', '/composite/tree/Account', { records: [{ attributes: { type: 'Account', referenceId: 'x' }, Name: 'x', Nope: { records: [] } }] });
      assert.equal(noRelationship.status, 400);
      // The reader cannot see Contacts: the child relationship names an object it does not know.
      assert.equal(await errorCodeOf(org.reader.request({ method: 'POST', url: '/composite/tree/Account', body: JSON.stringify(tree('reader', 'r@example.com')), headers: { 'content-type': 'application/json' } })), 'NOT_FOUND');
      const readerAccounts = await rest(org, await org.token('Reader_Tools'), 'POST', '/composite/tree/Account', { records: [{ attributes: { type: 'Account', referenceId: 'r1' }, Name: 'Reader tree' }] });
      assert.deepEqual([readerAccounts.status, readerAccounts.body.results[0].errors[0].statusCode], [400, 'INSUFFICIENT_ACCESS_OR_READONLY']);
    });

    it('/composite/sobjects takes mixed types in chunks (jsforce create without a type), allOrNone across chunks, at most ten chunks', async () => {
      // jsforce takes each record's attributes.type when no type is given to create().
      const mixed = await org.integration.create('', [
        { attributes: { type: 'Account' }, Name: 'Mixed A' }, { attributes: { type: 'Contact' }, LastName: 'Mixed C' }, { attributes: { type: 'Account' }, Name: 'Mixed B' },
      ] as Record<string, unknown>[], { allOrNone: true });
      assert.ok(mixed.every((r) => r.success), JSON.stringify(mixed));
      assert.ok(mixed[1]!.id!.startsWith('003'), 'the Contact is created as a Contact');
      const wrong = await rest(org, token, 'POST', '/composite/sobjects', { allOrNone: true, records: [{ attributes: { type: 'Account' }, Name: 'Rolled A' }, { attributes: { type: 'Account' }, LastName: 'A contact sent as Account' }] });
      assert.equal(wrong.body[1].errors[0].statusCode, 'INVALID_FIELD');
      const acrossChunks = await rest(org, token, 'POST', '/composite/sobjects', { allOrNone: true, records: [{ attributes: { type: 'Account' }, Name: 'Chunk rolled back' }, { attributes: { type: 'Contact' } }] });
      assert.deepEqual(acrossChunks.body.map((r: { errors: { statusCode: string }[] }) => r.errors[0]!.statusCode), ['ALL_OR_NONE_OPERATION_ROLLED_BACK', 'REQUIRED_FIELD_MISSING']);
      assert.equal(await countOf("SELECT Id FROM Account WHERE Name = 'Chunk rolled back'"), 0);
      const eleven = Array.from({ length: 11 }, (_, i) => (i % 2 ? { attributes: { type: 'Contact' }, LastName: 'x' } : { attributes: { type: 'Account' }, Name: 'x' }));
      const tooMany = await rest(org, token, 'POST', '/composite/sobjects', { records: eleven });
      assert.equal(tooMany.status, 400);
      assert.match(tooMany.body[0].message, /10 chunks/);
    });

    it('SOSL through conn.search: FIND/IN/RETURNING/WHERE/LIMIT, access enforced, errors as Salesforce words them', async () => {
      await org.integration.sobject('Account').create([{ Name: 'Zephyr Widgets', Phone: '+1 555 0100' }, { Name: 'Other Zephyrine' }, { Name: 'Unrelated' }]);
      await org.integration.sobject('Contact').create({ LastName: 'Zephyr', Email: 'z@zephyr.example' });
      const found = await org.integration.search('FIND {Zephyr} IN ALL FIELDS RETURNING Account(Id, Name ORDER BY Name), Contact(LastName)');
      assert.deepEqual(found.searchRecords.map((r) => `${r.attributes!.type}:${(r as { Name?: string; LastName?: string }).Name ?? (r as { LastName?: string }).LastName}`), ['Account:Zephyr Widgets', 'Contact:Zephyr']);
      const wildcard = await org.integration.search('FIND {Zeph*} RETURNING Account(Name WHERE Phone != null)');
      assert.deepEqual(wildcard.searchRecords.map((r) => (r as { Name: string }).Name), ['Zephyr Widgets']);
      const either = await org.integration.search('FIND {Zephyr OR Unrelated} IN NAME FIELDS RETURNING Account(Name) LIMIT 1');
      assert.equal(either.searchRecords.length, 1);
      // Many terms: written flat, not nested a level per term (the SOQL parser refused 8 nested ORs).
      const many = await org.integration.search(`FIND {${Array.from({ length: 30 }, (_, i) => `nomatch${i}`).join(' OR ')} OR Unrelated} RETURNING Account(Name)`);
      assert.deepEqual(many.searchRecords.map((r) => (r as { Name: string }).Name), ['Unrelated']);
      const idsOnly = await org.integration.search('FIND {"Zephyr Widgets"}');
      assert.deepEqual(idsOnly.searchRecords.map((r) => Object.keys(r).sort()), [['Id', 'attributes']]);
      // The reader sees Accounts by sharing only, and no Contacts at all.
      assert.equal(await errorCodeOf(org.reader.search('FIND {Zephyr} RETURNING Contact(LastName)')), 'INVALID_TYPE');
      assert.equal((await org.reader.search('FIND {Zephyr} RETURNING Account(Name)')).searchRecords.length, (await org.reader.query("SELECT Id FROM Account WHERE Name LIKE 'Zephyr%'")).totalSize);
      assert.equal(await errorCodeOf(org.integration.search('FIND {Zephyr} RETURNING Account(Industry)')), 'INVALID_FIELD');
      assert.equal(await errorCodeOf(org.integration.search('FIND {Z} RETURNING Account')), 'INVALID_SEARCH');
      assert.equal(await errorCodeOf(org.integration.search('FIND Zephyr RETURNING Account')), 'MALFORMED_SEARCH');
      assert.equal(await errorCodeOf(org.integration.search('FIND {Zephyr} IN TYPE FIELDS')), 'MALFORMED_SEARCH');
      const injection = await org.integration.search("FIND {Zephyr' OR Name LIKE '%} RETURNING Account(Name)");
      assert.equal(injection.searchRecords.length, 0, 'a quote in the term is searched for, not run');
      // parameterizedSearch: the same search without SOSL, by GET parameters or a POST body.
      const get = await rest(org, token, 'GET', '/parameterizedSearch/?q=Zephyr&sobject=Account&Account.fields=Id,Name&Account.where=Phone%20!=%20null&Account.limit=5');
      assert.deepEqual(get.body.searchRecords.map((r: { Name: string }) => r.Name), ['Zephyr Widgets']);
      const post = await rest(org, token, 'POST', '/parameterizedSearch', { q: 'Zephyr', in: 'NAME', fields: ['Id'], sobjects: [{ name: 'Contact', fields: ['LastName'] }, { name: 'Account' }], overallLimit: 10 });
      assert.deepEqual(post.body.searchRecords.map((r: { attributes: { type: string } }) => r.attributes.type).sort(), ['Account', 'Contact']);
      const everything = await rest(org, token, 'GET', '/parameterizedSearch?q=Zephyr');
      assert.ok(everything.body.searchRecords.length >= 2, 'no sobject: every searchable object');
      assert.equal((await rest(org, await org.token('Reader_Tools'), 'POST', '/parameterizedSearch', { q: 'Zephyr', sobjects: [{ name: 'Contact' }] })).body[0].errorCode, 'INVALID_TYPE');
      for (const bad of [{}, { q: '' }, { q: 'Zephyr', in: 'TYPE' }, { q: 'Zephyr', sobjects: 'Account' }, { q: 'Zephyr', overallLimit: 0 }, { q: 'Z' }]) {
        assert.equal((await rest(org, token, 'POST', '/parameterizedSearch', bad)).status, 400, JSON.stringify(bad));
      }
    });
  });
}

describe('org serve --tls: https with a certificate made once, trusted by Node clients through NODE_EXTRA_CA_CERTS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-org-tls-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves https on both host names; jsforce (unmodified, in a child process) queries through it; an untrusting client is refused', async () => {
    const { orgCertificate } = await import('../src/org/tls.js');
    const { startTestOrg } = await import('./helpers/org.js');
    const tls = await orgCertificate(dir);
    const again = await orgCertificate(dir);
    assert.equal(again.cert, tls.cert, 'made once, kept in the data folder');
    const org = await startTestOrg(STORES[0]!, { tls }, { dataDir: dir });
    try {
      assert.match(org.instanceUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.match(org.loginUrl, /^https:\/\/localhost:\d+$/);
      await assert.rejects(fetch(`${org.instanceUrl}/services/data`), 'a client that does not trust the certificate is refused');
      const { execFile } = await import('node:child_process');
      const app = org.apps.MuleSoft_Integration!;
      const script = `
        const { Connection } = require('jsforce');
        const conn = new Connection({ oauth2: { loginUrl: process.env.URL, clientId: process.env.ID, clientSecret: process.env.SECRET }, instanceUrl: process.env.URL, version: '62.0' });
        conn.oauth2.requestToken({ grant_type: 'client_credentials' }).then((t) => { conn.accessToken = t.access_token; return conn.query('SELECT Id FROM Organization'); })
          .then((r) => console.log(JSON.stringify({ size: r.totalSize })), (e) => { console.error(String(e)); process.exit(1); });`;
      const out = await new Promise<string>((resolve, reject) => execFile(process.execPath, ['-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.certFile, URL: org.instanceUrl, ID: app.consumerKey, SECRET: app.consumerSecret } }, (error, stdout, stderr) => (error ? reject(new Error(stderr || error.message)) : resolve(stdout))));
      assert.deepEqual(JSON.parse(out), { size: 1 });
    } finally {
      await org.close();
    }
  });
});
