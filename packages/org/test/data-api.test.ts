import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORES } from './helpers/org.js';
import { errorCodeOf, rest, startDataOrg, type DataOrg } from './helpers/data-org.js';

for (const store of STORES) {
  describe(`data API with jsforce (${store.name})`, () => {
    let org: DataOrg;
    let clockOffset = 0;
    before(async () => {
      org = await startDataOrg(store, { now: () => Date.now() + clockOffset });
    });
    after(() => org.close());

    it('describeGlobal and describe show only what the user may read, with createable/updateable as the user has them', async () => {
      const integration = (await org.integration.describeGlobal()).sobjects.map((s) => s.name);
      assert.ok(integration.includes('Account') && integration.includes('Order') && integration.includes('Invoice__c'));
      assert.ok(!integration.includes('Product2'), 'no Read on Product2, so it is absent');
      const admin = (await org.admin.describeGlobal()).sobjects.map((s) => s.name);
      assert.ok(admin.includes('Product2') && admin.includes('OrderItem'));

      const account = await org.integration.describe('Account');
      const names = account.fields.map((f) => f.name);
      assert.ok(names.includes('Name') && names.includes('Phone') && names.includes('Legacy_Key__c'));
      assert.ok(!names.includes('Industry') && !names.includes('ERP_Id__c'), 'FLS hides unreadable fields from describe');
      const reader = await org.reader.describe('Account');
      const phone = reader.fields.find((f) => f.name === 'Phone')!;
      assert.equal(phone.updateable, false, 'field Edit without object Edit is not updateable');
      assert.equal(reader.createable, false);
      const erp = (await org.admin.describe('Account')).fields.find((f) => f.name === 'ERP_Id__c')!;
      assert.deepEqual([erp.externalId, erp.unique, erp.type, erp.length], [true, true, 'string', 40]);
      const invoice = await org.admin.describe('Invoice__c');
      assert.match(invoice.keyPrefix!, /^a[0-9a-z]{2}$/);
      assert.deepEqual(invoice.fields.find((f) => f.name === 'Status__c')!.picklistValues!.map((p) => p.value), ['Open', 'Paid']);
      assert.equal(await errorCodeOf(org.integration.describe('Product2')), 'NOT_FOUND');
      assert.equal(await errorCodeOf(org.admin.describe('Nope__c')), 'NOT_FOUND');
    });

    it('creates, retrieves, updates and deletes a record; ids are 18 characters with a valid checksum', async () => {
      const created = await org.integration.sobject('Account').create({ Name: 'Acme', Phone: '555-0100' });
      assert.equal(created.success, true);
      assert.match(created.id!, /^001[0-9A-Za-z]{12}[A-Z0-5]{3}$/);
      const got = await org.integration.sobject('Account').retrieve(created.id!);
      assert.equal(got.Name, 'Acme');
      assert.match(String(got.CreatedDate), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
      const partial = await rest(org, await org.token('MuleSoft_Integration'), 'GET', `/sobjects/Account/${created.id!.slice(0, 15)}?fields=Name`);
      assert.deepEqual(Object.keys(partial.body), ['attributes', 'Id', 'Name'], '15-character ids work and ?fields= narrows the record');
      await org.integration.sobject('Account').update({ Id: created.id!, Name: 'Acme Ltd' });
      assert.equal((await org.integration.sobject('Account').retrieve(created.id!)).Name, 'Acme Ltd');
      // A revoked token stops working at once, on the hot path too.
      const token = await org.token('MuleSoft_Integration');
      assert.equal((await rest(org, token, 'GET', `/sobjects/Account/${created.id}`)).status, 200);
      await fetch(`${org.loginUrl}/services/oauth2/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }) });
      const revoked = await rest(org, token, 'GET', `/sobjects/Account/${created.id}`);
      assert.deepEqual([revoked.status, revoked.body[0].errorCode], [401, 'INVALID_SESSION_ID']);
      await org.integration.sobject('Account').destroy(created.id!);
      assert.equal(await errorCodeOf(org.integration.sobject('Account').retrieve(created.id!)), 'NOT_FOUND');
      const all = await org.integration.request<{ records: { Id: string; IsDeleted: boolean }[] }>(`/queryAll?q=${encodeURIComponent(`SELECT Id, IsDeleted FROM Account WHERE Id = '${created.id}'`)}`);
      assert.deepEqual(all.records.map((r) => r.IsDeleted), [true], 'queryAll sees the recycle bin');
    });

    it('validates as Salesforce does: required fields, types, lengths, picklists, emails, uniqueness, lookups', async () => {
      const codes = async (type: string, record: Record<string, unknown>, conn = org.admin) => errorCodeOf(conn.sobject(type).create(record));
      assert.equal(await codes('Account', { Phone: '1' }), 'REQUIRED_FIELD_MISSING');
      assert.equal(await codes('Invoice__c', { Name: 'I', Amount__c: 'lots' }), 'JSON_PARSER_ERROR');
      assert.equal(await codes('Account', { Name: 'x'.repeat(256) }), 'STRING_TOO_LONG');
      assert.equal(await codes('Invoice__c', { Name: 'I', Amount__c: 1, Status__c: 'Lost' }), 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
      assert.equal(await codes('Invoice__c', { Name: 'I', Amount__c: 1, Contact_Email__c: 'not-an-email' }), 'INVALID_EMAIL_ADDRESS');
      assert.equal(await codes('Invoice__c', { Name: 'I', Amount__c: 1, Due__c: '2024-02-30' }), 'JSON_PARSER_ERROR');
      assert.equal(await codes('Account', { Name: 'x', Bogus__c: 1 }), 'INVALID_FIELD');
      assert.equal(await codes('Account', { Name: 'x', CreatedDate: '2020-01-01T00:00:00Z' }), 'INVALID_FIELD_FOR_INSERT_UPDATE');
      await org.admin.sobject('Account').create({ Name: 'Unique 1', ERP_Id__c: 'ERP-1' });
      assert.equal(await codes('Account', { Name: 'Unique 2', ERP_Id__c: 'erp-1' }), 'DUPLICATE_VALUE', 'unique values compare case-insensitively');
      const contact = await org.admin.sobject('Contact').create({ LastName: 'C' });
      assert.equal(await codes('Invoice__c', { Name: 'I', Amount__c: 1, Account__c: contact.id }), 'FIELD_INTEGRITY_EXCEPTION');
      const hidden = await org.admin.sobject('Account').create({ Name: 'Admin only' });
      assert.equal(await codes('Invoice__c', { Name: 'I', Amount__c: 1, Account__c: hidden.id }, org.integration), 'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY', 'a lookup to a record the user cannot see');
      const res = await rest(org, await org.token('Admin_Tools'), 'POST', '/sobjects/Account', { Phone: 1, Bogus: 2 });
      assert.equal(res.status, 400);
      assert.ok(Array.isArray(res.body) && res.body.every((e: { errorCode: string; message: string }) => typeof e.message === 'string' && typeof e.errorCode === 'string'));
    });

    it('enforces field-level security on reads and writes exactly like a missing field', async () => {
      assert.equal(await errorCodeOf(org.integration.sobject('Account').create({ Name: 'x', Industry: 'Banking' })), 'INVALID_FIELD');
      assert.equal(await errorCodeOf(org.integration.query('SELECT Industry FROM Account')), 'INVALID_FIELD');
      const mine = await org.integration.sobject('Account').create({ Name: 'Readable' });
      const res = await rest(org, await org.token('MuleSoft_Integration'), 'GET', `/sobjects/Account/${mine.id}?fields=Name,Industry`);
      assert.equal(res.status, 400);
      assert.equal(res.body[0].errorCode, 'INVALID_FIELD');
      const full = await org.integration.sobject('Account').retrieve(mine.id!);
      assert.ok(!('Industry' in full) && !('ERP_Id__c' in full), 'records leave out unreadable fields');
      const readOnly = await rest(org, await org.token('MuleSoft_Integration'), 'PATCH', `/sobjects/Account/${mine.id}`, { Name: 'ok', Credit_Limit__c: 5 });
      assert.equal(readOnly.status, 400);
      assert.deepEqual([readOnly.body[0].errorCode, readOnly.body[0].fields], ['INVALID_FIELD_FOR_INSERT_UPDATE', ['Credit_Limit__c']], 'a readable field without Edit is named');
      assert.equal(await errorCodeOf(org.integration.sobject('Account').create({ Name: 'x', Credit_Limit__c: 1 })), 'INVALID_FIELD_FOR_INSERT_UPDATE');
      // Phone has field Edit for the reader, but the object is read-only for them.
      assert.equal(await errorCodeOf(org.reader.sobject('Account').update({ Id: mine.id!, Phone: '1' })), 'INSUFFICIENT_ACCESS_OR_READONLY');
    });

    it('enforces record access: private defaults, ownership, sharing rules, View All', async () => {
      const ownedByIntegration = await org.integration.sobject('Account').create({ Name: 'Shared Co' });
      const ownedByAdmin = await org.admin.sobject('Account').create({ Name: 'Private Co' });
      const readerSees = (await org.reader.query<{ Id: string }>("SELECT Id FROM Account WHERE Name LIKE '%Co'")).records.map((r) => r.Id);
      assert.ok(readerSees.includes(ownedByIntegration.id!), 'the sharing rule shares integration-owned accounts with the reader');
      assert.ok(!readerSees.includes(ownedByAdmin.id!));
      assert.equal(await errorCodeOf(org.integration.sobject('Account').retrieve(ownedByAdmin.id!)), 'NOT_FOUND', 'invisible records behave as not found');
      assert.equal(await errorCodeOf(org.integration.sobject('Account').update({ Id: ownedByAdmin.id!, Name: 'x' })), 'NOT_FOUND');
      const adminSees = (await org.admin.query<{ Id: string }>("SELECT Id FROM Account WHERE Name LIKE '%Co'")).records.map((r) => r.Id);
      assert.ok(adminSees.includes(ownedByIntegration.id!) && adminSees.includes(ownedByAdmin.id!), 'View All / Modify All see everything');
      const count = await org.reader.query("SELECT COUNT() FROM Account WHERE Name = 'Private Co'");
      assert.equal(count.totalSize, 0);
      // Child records follow their parent: order items of an invisible order are invisible.
      const order = await org.admin.sobject('Order').create({ AccountId: ownedByAdmin.id!, EffectiveDate: '2024-01-01', Status: 'Draft' });
      assert.equal(await errorCodeOf(org.integration.sobject('Order').retrieve(order.id!)), 'NOT_FOUND');
    });

    it('queries with relationships, subqueries, filters, date literals, aggregates and ordering', async () => {
      const acct = await org.integration.sobject('Account').create({ Name: 'Query Co', Legacy_Key__c: 'Q-1' });
      await org.integration.sobject('Contact').create([{ LastName: 'Zed', FirstName: 'Ann', AccountId: acct.id! }, { LastName: 'Able', AccountId: acct.id! }]);
      await org.integration.sobject('Invoice__c').create([
        { Name: 'INV-1', Amount__c: 100, Account__c: acct.id!, Status__c: 'Open', Tags__c: 'urgent;export', Due__c: '2020-01-10', Paid_At__c: '2020-01-11T10:00:00Z' },
        { Name: 'INV-2', Amount__c: 250.5, Account__c: acct.id!, Status__c: 'Paid', Tags__c: 'vip' },
        { Name: 'INV-3', Amount__c: 10, Status__c: 'Open' },
      ]);
      const q = async <T extends Record<string, unknown>>(soql: string) => (await org.integration.query<T>(soql)).records;
      const nested = await q<{ Name: string; Contacts: { records: { LastName: string }[] } }>(`SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account WHERE Id = '${acct.id}'`);
      assert.deepEqual(nested[0]!.Contacts.records.map((c) => c.LastName), ['Able', 'Zed']);
      const parents = await q<{ Name: string; Account: { Name: string } | null }>(`SELECT Name, Account.Name FROM Contact WHERE Account.Name = 'query co' ORDER BY Name DESC`);
      assert.deepEqual(parents.map((c) => [c.Name, c.Account?.Name]), [['Ann Zed', 'Query Co'], ['Able', 'Query Co']]);
      // Parents only selected (not filtered or sorted on): the page is taken first, then joined.
      const selectedOnly = await q<{ Name: string; Account: { Name: string } | null }>("SELECT Name, Account.Name FROM Contact WHERE LastName IN ('Zed', 'Able') ORDER BY LastName DESC LIMIT 2");
      assert.deepEqual(selectedOnly.map((c) => [c.Name, c.Account?.Name]), [['Ann Zed', 'Query Co'], ['Able', 'Query Co']]);
      const withoutParent = await q<{ Name: string; Account__r: { Name: string } | null }>("SELECT Name, Account__r.Name FROM Invoice__c WHERE Name LIKE 'INV-%' ORDER BY Name");
      assert.deepEqual(withoutParent.map((i) => [i.Name, i.Account__r?.Name ?? null]), [['INV-1', 'Query Co'], ['INV-2', 'Query Co'], ['INV-3', null]]);
      assert.deepEqual((await q<{ Name: string }>("SELECT Name FROM Invoice__c WHERE Tags__c INCLUDES ('export') ")).map((r) => r.Name), ['INV-1']);
      assert.deepEqual((await q<{ Name: string }>("SELECT Name FROM Invoice__c WHERE Status__c IN ('Paid') OR (Amount__c < 50 AND NOT Name = 'INV-9') ORDER BY Name")).map((r) => r.Name), ['INV-2', 'INV-3']);
      assert.deepEqual((await q<{ Name: string }>("SELECT Name FROM Invoice__c WHERE Status__c NOT IN ('Paid') AND Due__c != null")).map((r) => r.Name), ['INV-1']);
      assert.deepEqual((await q<{ Name: string }>('SELECT Name FROM Invoice__c WHERE Due__c < 2020-02-01 AND Paid_At__c >= 2020-01-11T09:00:00Z')).map((r) => r.Name), ['INV-1']);
      assert.equal((await q<{ Name: string }>('SELECT Name FROM Invoice__c WHERE CreatedDate = TODAY AND CreatedDate = LAST_N_DAYS:2')).length, 3);
      assert.equal((await q<{ Name: string }>('SELECT Name FROM Invoice__c WHERE CreatedDate = YESTERDAY')).length, 0);
      const groups = await q<{ Status__c: string; total: number; expr0: number }>('SELECT Status__c, SUM(Amount__c) total, COUNT(Id) FROM Invoice__c GROUP BY Status__c ORDER BY Status__c');
      assert.deepEqual(groups.map((g) => [g.Status__c, g.total, g.expr0]), [['Open', 110, 2], ['Paid', 250.5, 1]]);
      const paged = await q<{ Name: string }>('SELECT Name FROM Invoice__c ORDER BY Amount__c DESC NULLS LAST LIMIT 2 OFFSET 1');
      assert.deepEqual(paged.map((r) => r.Name), ['INV-1', 'INV-3']);
      // Nulls sort first ascending and last descending unless told otherwise, on both stores.
      const byDue = async (order: string) => (await q<{ Name: string }>(`SELECT Name FROM Invoice__c ORDER BY Due__c ${order}, Name`)).map((r) => r.Name);
      assert.deepEqual(await byDue('ASC'), ['INV-2', 'INV-3', 'INV-1']);
      assert.deepEqual(await byDue('ASC NULLS LAST'), ['INV-1', 'INV-2', 'INV-3']);
      assert.deepEqual(await byDue('DESC'), ['INV-1', 'INV-2', 'INV-3']);
      assert.deepEqual(await byDue('DESC NULLS FIRST'), ['INV-2', 'INV-3', 'INV-1']);
      assert.deepEqual((await q<{ Name: string }>('SELECT Name FROM Invoice__c ORDER BY Account__r.Name NULLS LAST, Name')).map((r) => r.Name), ['INV-1', 'INV-2', 'INV-3']);
      const semi = await q<{ Name: string }>("SELECT Name FROM Account WHERE Id IN (SELECT Account__c FROM Invoice__c WHERE Status__c = 'Paid')");
      assert.deepEqual(semi.map((r) => r.Name), ['Query Co']);
      const bad = async (soql: string) => errorCodeOf(org.integration.query(soql));
      assert.equal(await bad('SELECT Id FROM Nope__c'), 'INVALID_TYPE');
      assert.equal(await bad('SELECT Id FROM Product2'), 'INVALID_TYPE', 'an object without Read is reported like a missing one');
      assert.equal(await bad('SELECT Id FRM Account'), 'MALFORMED_QUERY');
      assert.equal(await bad("SELECT Id FROM Invoice__c WHERE Amount__c = 'ten'"), 'INVALID_QUERY_FILTER_OPERATOR');
      assert.equal(await bad('SELECT Id FROM Account WHERE CALENDAR_YEAR(CreatedDate) = 2024'), 'MALFORMED_QUERY');
      assert.equal(await bad('SELECT TYPEOF Owner WHEN User THEN Name END FROM Account'), 'MALFORMED_QUERY');
      assert.equal(await bad('SELECT Id FROM ContentDocumentLink'), 'MALFORMED_QUERY');
    });

    it('pages query results with locators jsforce follows (autoFetch, queryMore, batchSize)', async () => {
      const pager = await org.integration.sobject('Account').create({ Name: 'Pager Co' });
      const records = Array.from({ length: 2450 }, (_, i) => ({ attributes: { type: 'Invoice__c' }, Name: `P-${String(i).padStart(5, '0')}`, Amount__c: i, ...(i % 2 ? {} : { Account__c: pager.id! }) }));
      for (let i = 0; i < records.length; i += 200) {
        const results = await org.integration.sobject('Invoice__c').create(records.slice(i, i + 200).map(({ attributes: _a, ...r }) => r));
        assert.ok(results.every((r) => r.success));
      }
      const first = await org.integration.query<{ Name: string }>("SELECT Name FROM Invoice__c WHERE Name LIKE 'P-%'");
      assert.equal(first.totalSize, 2450);
      assert.equal(first.records.length, 2000);
      assert.equal(first.done, false);
      assert.ok(first.nextRecordsUrl && !first.nextRecordsUrl.split('/query/')[1]!.includes('/'));
      const more = await org.integration.queryMore<{ Name: string }>(first.nextRecordsUrl!);
      assert.equal(more.records.length, 450);
      assert.equal(more.done, true);
      const names = new Set([...first.records, ...more.records].map((r) => r.Name));
      assert.equal(names.size, 2450, 'pages neither skip nor repeat records');
      type WithAccount = { Name: string; Amount__c: number; Account__r: { Name: string } | null };
      const withAccount = await org.integration.query<WithAccount>("SELECT Name, Amount__c, Account__r.Name FROM Invoice__c WHERE Name LIKE 'P-%'");
      const rest2 = await org.integration.queryMore<WithAccount>(withAccount.nextRecordsUrl!);
      const joined = [...withAccount.records, ...rest2.records];
      assert.equal(new Set(joined.map((r) => r.Name)).size, 2450, 'keyset pages with a joined parent neither skip nor repeat');
      assert.ok(joined.every((r) => (r.Amount__c % 2 ? r.Account__r === null : r.Account__r?.Name === 'Pager Co')), 'every page carries its parents');
      const all = await org.integration.query("SELECT Name FROM Invoice__c WHERE Name LIKE 'P-%' ORDER BY Amount__c DESC").autoFetch(true).maxFetch(5000).execute();
      assert.equal((all as unknown as { records: unknown[] }).records.length, 2450);
      const token = await org.token('MuleSoft_Integration');
      const small = await rest(org, token, 'GET', `/query?q=${encodeURIComponent("SELECT Id FROM Invoice__c WHERE Name LIKE 'P-%'")}`, undefined, { 'sforce-query-options': 'batchSize=300' });
      assert.equal(small.body.records.length, 300);
      const other = await rest(org, await org.token('Reader_Tools'), 'GET', small.body.nextRecordsUrl.replace('/services/data/v62.0', ''));
      assert.equal(other.body[0].errorCode, 'INVALID_QUERY_LOCATOR', 'a cursor belongs to the user who opened it');
    });

    it('upserts by external id: 201 created, 200 updated, 300 for several matches, 404 for a field that is no external id', async () => {
      const token = await org.token('MuleSoft_Integration');
      const created = await rest(org, token, 'PATCH', '/sobjects/Account/Legacy_Key__c/LK-1', { Name: 'Upserted' });
      assert.equal(created.status, 201);
      assert.equal(created.body.created, true);
      const updated = await rest(org, token, 'PATCH', '/sobjects/Account/Legacy_Key__c/lk-1', { Name: 'Upserted again' });
      assert.equal(updated.status, 200);
      assert.deepEqual([updated.body.id, updated.body.created], [created.body.id, false]);
      await org.integration.sobject('Account').create({ Name: 'Twin', Legacy_Key__c: 'LK-1' });
      const multiple = await rest(org, token, 'PATCH', '/sobjects/Account/Legacy_Key__c/LK-1', { Name: 'Which?' });
      assert.equal(multiple.status, 300);
      assert.equal(multiple.body.length, 2);
      const notExternal = await rest(org, token, 'PATCH', '/sobjects/Account/Name/Acme', { Phone: '1' });
      assert.equal(notExternal.status, 404);
      const viaJsforce = await org.integration.sobject('Account').upsert([{ Name: 'J1', Legacy_Key__c: 'J-1' }, { Name: 'J2', Legacy_Key__c: 'J-2' }], 'Legacy_Key__c');
      assert.deepEqual(viaJsforce.map((r) => [r.success, r.created]), [[true, true], [true, true]]);
      const byExternal = await rest(org, token, 'GET', '/sobjects/Account/Legacy_Key__c/J-1?fields=Name');
      assert.equal(byExternal.body.Name, 'J1');
      const atomic = await rest(org, token, 'PATCH', '/composite/sobjects/Account/Legacy_Key__c', {
        allOrNone: true,
        records: [{ attributes: { type: 'Account' }, Legacy_Key__c: 'J-1', Name: 'changed' }, { attributes: { type: 'Account' }, Legacy_Key__c: 'J-3' }],
      });
      assert.deepEqual(atomic.body.map((r: { success: boolean }) => r.success), [false, false]);
      assert.deepEqual(atomic.body.map((r: { errors: { statusCode: string }[] }) => r.errors[0]!.statusCode), ['ALL_OR_NONE_OPERATION_ROLLED_BACK', 'REQUIRED_FIELD_MISSING']);
      assert.equal((await rest(org, token, 'GET', '/sobjects/Account/Legacy_Key__c/J-1?fields=Name')).body.Name, 'J1', 'the update half was not written either');
    });

    it('sObject collections: 200 records in one call, allOrNone, per-record errors with statusCode', async () => {
      const batch = Array.from({ length: 200 }, (_, i) => ({ Name: `C-${i}` }));
      const results = await org.integration.sobject('Account').create(batch);
      assert.equal(results.filter((r) => r.success).length, 200);
      const token = await org.token('MuleSoft_Integration');
      const mixed = await rest(org, token, 'POST', '/composite/sobjects', { allOrNone: false, records: [{ attributes: { type: 'Account' }, Name: 'ok' }, { attributes: { type: 'Account' } }] });
      assert.equal(mixed.status, 200);
      assert.equal(mixed.body[0].success, true);
      assert.equal(mixed.body[1].errors[0].statusCode, 'REQUIRED_FIELD_MISSING');
      const atomic = await rest(org, token, 'POST', '/composite/sobjects', { allOrNone: true, records: [{ attributes: { type: 'Account' }, Name: 'rolled back' }, { attributes: { type: 'Account' } }] });
      assert.equal(atomic.body[0].errors[0].statusCode, 'ALL_OR_NONE_OPERATION_ROLLED_BACK');
      assert.equal((await org.integration.query("SELECT COUNT() FROM Account WHERE Name = 'rolled back'")).totalSize, 0, 'nothing of an allOrNone failure is written');
      const tooMany = await rest(org, token, 'POST', '/composite/sobjects', { records: Array.from({ length: 201 }, () => ({ attributes: { type: 'Account' }, Name: 'x' })) });
      assert.equal(tooMany.status, 400);
      const ids = results.slice(0, 3).map((r) => r.id!);
      const fetched = await org.integration.sobject('Account').retrieve(ids);
      assert.deepEqual(fetched.map((r) => r?.Name), ['C-0', 'C-1', 'C-2']);
      const updated = await org.integration.sobject('Account').update(ids.map((Id) => ({ Id, Phone: '42' })));
      assert.ok(updated.every((r) => r.success));
      const deleted = await org.integration.sobject('Account').destroy(ids);
      assert.ok(deleted.every((r) => r.success));
    });

    it('refreshes the query planner\'s statistics after 10,000 inserts', { skip: store.name !== 'sqlite' && 'PostgreSQL\'s autovacuum analyses on its own' }, async () => {
      // Without them SQLite takes OwnerId = ? for selective and sorts every record a user owns to
      // serve a page of 200 (0.4 s instead of 4 ms at 1,000,000 orders; see the flows benchmark).
      const token = await org.token('MuleSoft_Integration');
      const sqlite = org.store.sqlite!;
      const analysed = () => sqlite.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").get() !== undefined;
      const ownerStat = () => (analysed() ? (sqlite.prepare("SELECT stat FROM sqlite_stat1 WHERE idx = 'sobj_account_ownerid_idx'").get() as { stat: string } | undefined)?.stat : undefined);
      assert.equal(ownerStat(), undefined, 'not analysed while small');
      for (let i = 0; i < 51; i++) {
        const res = await rest(org, token, 'POST', '/composite/sobjects', { allOrNone: true, records: Array.from({ length: 200 }, (_, j) => ({ attributes: { type: 'Account' }, Name: `Bulk ${i}-${j}` })) });
        assert.equal(res.status, 200);
      }
      await new Promise((r) => setImmediate(r));
      const [rows, perOwner] = (ownerStat() ?? '0 0').split(' ').map(Number);
      // Analysed when the 10,000th insert since start landed (earlier tests inserted some of them).
      assert.ok(rows! >= 5_000 && perOwner! >= 1_000, `the planner knows an owner holds thousands: ${ownerStat()}`);
    });

    it('getUpdated and getDeleted report changes in a window, only for records the user can read', async () => {
      const start = new Date(Date.now() + clockOffset - 60_000);
      const mine = await org.integration.sobject('Account').create({ Name: 'Changed' });
      const theirs = await org.admin.sobject('Account').create({ Name: 'Not yours' });
      const gone = await org.integration.sobject('Account').create({ Name: 'Gone' });
      await org.integration.sobject('Account').destroy(gone.id!);
      clockOffset += 120_000; // windows end at the last whole minute, as in Salesforce
      const end = new Date(Date.now() + clockOffset);
      const updated = await org.integration.sobject('Account').updated(start, end);
      assert.ok(updated.ids.includes(mine.id!) && !updated.ids.includes(theirs.id!) && !updated.ids.includes(gone.id!));
      assert.match(updated.latestDateCovered, /:00\.000\+0000$/);
      const deleted = await org.integration.sobject('Account').deleted(start, end);
      assert.deepEqual(deleted.deletedRecords.map((d) => d.id).filter((id) => id === gone.id), [gone.id]);
      const bad = await rest(org, await org.token('MuleSoft_Integration'), 'GET', '/sobjects/Account/updated?start=yesterday&end=now');
      assert.equal(bad.body[0].errorCode, 'INVALID_REPLICATION_DATE');
    });

    it('files: multipart upload (jsforce), base64 upload, streamed download, access through the linked record', async () => {
      const account = await org.integration.sobject('Account').create({ Name: 'Files Co' });
      const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
      const uploaded = await org.integration.sobject('ContentVersion').create(
        { Title: 'Spec', PathOnClient: 'spec.pdf', FirstPublishLocationId: account.id!, VersionData: bytes.toString('base64') },
        { multipartFileFields: { VersionData: { contentType: 'application/pdf', filename: 'spec.pdf' } } },
      );
      assert.equal(uploaded.success, true);
      const version = await org.integration.sobject('ContentVersion').retrieve(uploaded.id!);
      assert.equal(version.VersionData, `/services/data/v62.0/sobjects/ContentVersion/${uploaded.id}/VersionData`);
      assert.equal(version.ContentSize, bytes.length);
      const chunks: Buffer[] = [];
      for await (const chunk of org.integration.sobject('ContentVersion').record(uploaded.id!).blob('VersionData')) chunks.push(chunk as Buffer);
      assert.ok(Buffer.concat(chunks).equals(bytes), 'the bytes come back unchanged');
      const doc = String(version.ContentDocumentId);
      const links = await org.integration.query<{ LinkedEntityId: string }>(`SELECT LinkedEntityId FROM ContentDocumentLink WHERE ContentDocumentId = '${doc}'`);
      assert.deepEqual(links.records.map((l) => l.LinkedEntityId), [account.id]);
      const another = await org.integration.sobject('Account').create({ Name: 'Files Co 2' });
      const link = await org.integration.sobject('ContentDocumentLink').create({ ContentDocumentId: version.ContentDocumentId, LinkedEntityId: another.id });
      assert.equal(link.success, true, 'a file is attached to a second record with ContentDocumentLink');
      const hiddenAccount = await org.admin.sobject('Account').create({ Name: 'Not visible to integration' });
      assert.equal(await errorCodeOf(org.integration.sobject('ContentDocumentLink').create({ ContentDocumentId: version.ContentDocumentId, LinkedEntityId: hiddenAccount.id })), 'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY');
      // The reader sees the account through the sharing rule, so the file too; the viewer sees neither.
      assert.equal((await org.reader.query(`SELECT Id FROM ContentVersion WHERE Id = '${uploaded.id}'`)).totalSize, 1);
      assert.equal((await org.viewer.query(`SELECT Id FROM ContentVersion WHERE Id = '${uploaded.id}'`)).totalSize, 0);
      const viewerDownload = await rest(org, await org.token('Viewer_Tools'), 'GET', `/sobjects/ContentVersion/${uploaded.id}/VersionData`);
      assert.equal(viewerDownload.status, 404);

      const token = await org.token('MuleSoft_Integration');
      const second = await rest(org, token, 'POST', '/sobjects/ContentVersion', { Title: 'v2', PathOnClient: 'spec.pdf', ContentDocumentId: doc, VersionData: Buffer.from('second').toString('base64') });
      assert.equal(second.status, 201);
      const versions = await org.integration.query<{ VersionNumber: string }>(`SELECT VersionNumber FROM ContentVersion WHERE ContentDocumentId = '${doc}' ORDER BY VersionNumber`);
      assert.deepEqual(versions.records.map((v) => v.VersionNumber), ['1', '2']);
      const noBytes = await rest(org, token, 'POST', '/sobjects/ContentVersion', { Title: 'x', PathOnClient: 'x.txt' });
      assert.equal(noBytes.body[0].errorCode, 'REQUIRED_FIELD_MISSING');
      // Parts in the documented order too: JSON first (entity_content), binary second.
      const form = new FormData();
      form.append('entity_content', new Blob([JSON.stringify({ Title: 'doc order', PathOnClient: 'a.txt' })], { type: 'application/json' }));
      form.append('VersionData', new Blob([Buffer.from('hello')], { type: 'text/plain' }), 'a.txt');
      const documented = await fetch(`${org.instanceUrl}/services/data/v62.0/sobjects/ContentVersion`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
      assert.equal(documented.status, 201);
    });

    it('counts requests in Sforce-Limit-Info and refuses them past the daily limit with REQUEST_LIMIT_EXCEEDED', async () => {
      const token = await org.token('MuleSoft_Integration');
      const one = await rest(org, token, 'GET', '/limits');
      const [used, max] = /api-usage=(\d+)\/(\d+)/.exec(one.headers.get('sforce-limit-info') ?? '')!.slice(1).map(Number);
      assert.equal(one.body.DailyApiRequests.Max, max);
      assert.equal(one.body.DailyApiRequests.Remaining, max! - used!);
      org.data.usage.max = used! + 2;
      assert.equal((await rest(org, token, 'GET', '/limits')).status, 200);
      assert.equal((await rest(org, token, 'GET', '/limits')).status, 200);
      const refused = await rest(org, token, 'GET', '/limits');
      assert.equal(refused.status, 403);
      assert.equal(refused.body[0].errorCode, 'REQUEST_LIMIT_EXCEEDED');
      assert.equal(await errorCodeOf(org.integration.query('SELECT Id FROM Account')), 'REQUEST_LIMIT_EXCEEDED');
      org.data.usage.max = 1_000_000;
    });
  });
}
