import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { STORES } from './helpers/org.js';
import { rest, startDataOrg, type DataOrg } from './helpers/data-org.js';

/** Salesforce's error envelope: a non-empty array of {message, errorCode}. */
function assertErrorArray(body: unknown, context: string): void {
  assert.ok(Array.isArray(body) && body.length > 0, `${context}: expected an error array, got ${JSON.stringify(body)}`);
  for (const e of body as { message?: unknown; errorCode?: unknown }[]) {
    assert.equal(typeof e.message, 'string', context);
    assert.equal(typeof e.errorCode, 'string', context);
  }
}

describe('data API bad input: every mistake gets Salesforce\'s error array and a 4xx, never a 500', () => {
  let org: DataOrg;
  let token: string;
  before(async () => {
    org = await startDataOrg(STORES[0]!, { maxFileBytes: 64 * 1024 });
    token = await org.token('MuleSoft_Integration');
  });
  after(() => org.close());

  const cases: [string, string, string, unknown, number, string][] = [
    ['malformed JSON', 'POST', '/sobjects/Account', '{"Name": ', 400, 'JSON_PARSER_ERROR'],
    ['a JSON array for one record', 'POST', '/sobjects/Account', [{ Name: 'x' }], 400, 'JSON_PARSER_ERROR'],
    ['an unknown object', 'POST', '/sobjects/Nope__c', { Name: 'x' }, 404, 'NOT_FOUND'],
    ['an object without Read', 'GET', '/sobjects/Product2/describe', undefined, 404, 'NOT_FOUND'],
    ['an unknown field', 'POST', '/sobjects/Account', { Name: 'x', Nope__c: 1 }, 400, 'INVALID_FIELD'],
    ['a string for a number', 'POST', '/sobjects/Invoice__c', { Name: 'x', Amount__c: 'ten' }, 400, 'JSON_PARSER_ERROR'],
    ['an object for a text field', 'POST', '/sobjects/Account', { Name: { first: 'x' } }, 400, 'JSON_PARSER_ERROR'],
    ['a malformed id in the path', 'GET', '/sobjects/Account/not-an-id', undefined, 404, 'NOT_FOUND'],
    ['an id of another object', 'GET', '/sobjects/Account/003000000000000AAA', undefined, 404, 'NOT_FOUND'],
    ['a malformed lookup id', 'POST', '/sobjects/Contact', { LastName: 'x', AccountId: 'zzz' }, 400, 'MALFORMED_ID'],
    ['an unknown API version', 'GET', '/../v12.0/sobjects', undefined, 404, 'NOT_FOUND'],
    ['a query without q', 'GET', '/query', undefined, 400, 'MALFORMED_QUERY'],
    ['a date literal past the year 4000', 'GET', `/query?q=${encodeURIComponent('SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:99999999999')}`, undefined, 400, 'MALFORMED_QUERY'],
    ['collections without records', 'POST', '/composite/sobjects', { allOrNone: true }, 400, 'INVALID_FIELD'],
    ['collections with a non-boolean allOrNone', 'POST', '/composite/sobjects', { allOrNone: 'yes', records: [] }, 400, 'JSON_PARSER_ERROR'],
    ['collections delete without ids', 'DELETE', '/composite/sobjects', undefined, 400, 'MISSING_ARGUMENT'],
    ['upsert by a field that is no external id', 'PATCH', '/sobjects/Account/Phone/1', { Name: 'x' }, 404, 'NOT_FOUND'],
    ['a bad locator', 'GET', '/query/01gNOPE-2000', undefined, 400, 'INVALID_QUERY_LOCATOR'],
    ['a bad replication window', 'GET', '/sobjects/Account/updated?start=2030-01-01T00:00:00Z&end=2020-01-01T00:00:00Z', undefined, 400, 'INVALID_REPLICATION_DATE'],
    ['an oversized file', 'POST', '/sobjects/ContentVersion', { Title: 'big', PathOnClient: 'big.bin', VersionData: Buffer.alloc(70 * 1024).toString('base64') }, 413, 'MAXIMUM_SIZE_OF_DOCUMENT'],
  ];
  for (const [name, method, path, body, status, code] of cases) {
    it(`${name} → ${status} ${code}`, async () => {
      const res = await rest(org, token, method, path, body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assertErrorArray(res.body, name);
      assert.equal(res.body[0].errorCode, code);
    });
  }

  it('an oversized multipart file is refused and leaves nothing behind', async () => {
    const form = new FormData();
    form.append('entity_content', new Blob([JSON.stringify({ Title: 'big', PathOnClient: 'big.bin' })], { type: 'application/json' }));
    form.append('VersionData', new Blob([Buffer.alloc(200 * 1024)]), 'big.bin');
    const res = await fetch(`${org.instanceUrl}/services/data/v62.0/sobjects/ContentVersion`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    assert.equal(res.status, 413);
    assertErrorArray(await res.json(), 'multipart');
    assert.equal((await org.integration.query("SELECT COUNT() FROM ContentVersion WHERE Title = 'big'")).totalSize, 0);
  });

  it('a multipart body without a boundary, or cut short, is a 400 INVALID_MULTIPART_REQUEST', async () => {
    const url = `${org.instanceUrl}/services/data/v62.0/sobjects/ContentVersion`;
    const cut = '--B\r\nContent-Disposition: form-data; name="entity_content"\r\nContent-Type: application/json\r\n\r\n{"Title":"cut","PathOnClient":"c.txt"}\r\n--B\r\nContent-Disposition: form-data; name="VersionData"; filename="c.txt"\r\n\r\nhel';
    for (const [contentType, body] of [['multipart/form-data', 'xxx'], ['multipart/form-data; boundary=B', cut]] as const) {
      const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body });
      assert.equal(res.status, 400, contentType);
      const answer = await res.json();
      assertErrorArray(answer, contentType);
      assert.equal((answer as { errorCode: string }[])[0]!.errorCode, 'INVALID_MULTIPART_REQUEST');
    }
    assert.equal((await org.integration.query("SELECT COUNT() FROM ContentVersion WHERE Title = 'cut'")).totalSize, 0);
  });

  it('headers over 16 KB answer 431 in Salesforce\'s error array, not the web framework\'s shape', async () => {
    const res = await fetch(`${org.instanceUrl}/services/data/v62.0/sobjects`, { headers: { authorization: `Bearer ${token}`, 'x-padding': 'a'.repeat(20_000) } });
    assert.equal(res.status, 431);
    const body = await res.json();
    assertErrorArray(body, 'huge headers');
    assert.equal((body as { errorCode: string }[])[0]!.errorCode, 'REQUEST_HEADER_FIELDS_TOO_LARGE');
  });

  it('a body over the request size limit is refused', async () => {
    const res = await rest(org, token, 'POST', '/composite/sobjects', `{"records":[{"Name":"${'x'.repeat(51 * 1024 * 1024)}"}]}`, { 'content-type': 'application/json' });
    assert.equal(res.status, 413);
    assertErrorArray(res.body, 'huge body');
  });

  it('no token, a bad token and a token in the query string are refused', async () => {
    assert.equal((await rest(org, 'nope', 'GET', '/sobjects')).status, 401);
    const res = await fetch(`${org.instanceUrl}/services/data/v62.0/sobjects?access_token=${encodeURIComponent(token)}`);
    assert.equal(res.status, 400);
  });

  it('random and mutated SOQL gets a 4xx error array or a result, never a 500', async () => {
    const fragments = ['SELECT', 'Id', 'Name', ',', 'FROM', 'Account', 'Invoice__c', 'WHERE', 'AND', 'OR', 'NOT', '(', ')', '=', '!=', 'LIKE', 'IN', 'INCLUDES',
      "'a'", '1', '2.5', 'null', 'TRUE', 'TODAY', 'LAST_N_DAYS:3', '2020-01-01', '2020-01-01T00:00:00Z', 'ORDER BY', 'LIMIT', 'OFFSET', 'GROUP BY', 'COUNT()', 'COUNT(Id)',
      'SUM(Amount__c)', 'Account.Name', 'Owner.Name', '(SELECT Id FROM Contacts)', 'Amount__c', 'Tags__c', 'Due__c', 'HAVING', 'FOR UPDATE', 'TYPEOF', 'FIELDS(ALL)', ';', '\\', '"'];
    const soql = fc.oneof(
      fc.array(fc.constantFrom(...fragments), { minLength: 1, maxLength: 14 }).map((parts) => parts.join(' ')),
      fc.tuple(fc.constantFrom('SELECT Id, Name FROM Account WHERE Name = ', 'SELECT Amount__c FROM Invoice__c WHERE Amount__c > ', 'SELECT Id FROM Invoice__c WHERE Tags__c INCLUDES ('), fc.string({ maxLength: 20 })).map(([a, b]) => a + b),
      fc.string({ maxLength: 60 }),
    );
    await fc.assert(fc.asyncProperty(soql, async (q) => {
      const res = await rest(org, token, 'GET', `/query?q=${encodeURIComponent(q)}`);
      if (res.status === 200) {
        assert.equal(typeof res.body.totalSize, 'number');
        return;
      }
      assert.ok(res.status >= 400 && res.status < 500, `${q} → ${res.status} ${JSON.stringify(res.body)}`);
      assertErrorArray(res.body, q);
    }), { numRuns: 300 });
  });

  it('random record bodies get a result or a 4xx error array, never a 500', async () => {
    const value = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 2 }));
    const field = fc.constantFrom('Name', 'Amount__c', 'Status__c', 'Tags__c', 'Due__c', 'Paid_At__c', 'Account__c', 'Invoice_Key__c', 'Contact_Email__c', 'OwnerId', 'Id', 'attributes', 'Bogus');
    await fc.assert(fc.asyncProperty(fc.dictionary(field, value, { maxKeys: 6 }), async (body) => {
      const res = await rest(org, token, 'POST', '/sobjects/Invoice__c', body);
      if (res.status === 201) return;
      assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.body)}`);
      assertErrorArray(res.body, JSON.stringify(body));
    }), { numRuns: 300 });
  });
});

for (const store of STORES) {
  describe(`a NUL character (U+0000) in text is a 400 on every store (${store.name})`, () => {
    let org: DataOrg;
    let token: string;
    before(async () => {
      org = await startDataOrg(store);
      token = await org.token('MuleSoft_Integration');
    });
    after(() => org.close());

    it('in a record\'s text field, in a collection, and in a SOQL literal', async () => {
      const created = await rest(org, token, 'POST', '/sobjects/Account', { Name: 'nul\u0000byte' });
      assert.equal(created.status, 400, JSON.stringify(created.body));
      assert.deepEqual([created.body[0].errorCode, created.body[0].fields], ['INVALID_TYPE_ON_FIELD_IN_RECORD', ['Name']]);
      const batch = await rest(org, token, 'POST', '/composite/sobjects', { allOrNone: false, records: [{ attributes: { type: 'Account' }, Name: 'fine' }, { attributes: { type: 'Account' }, Name: 'bad\u0000' }] });
      assert.equal(batch.status, 200, JSON.stringify(batch.body));
      assert.deepEqual(batch.body.map((r: { success: boolean }) => r.success), [true, false]);
      const query = await rest(org, token, 'GET', `/query?q=${encodeURIComponent("SELECT Id FROM Account WHERE Name = 'a\u0000b'")}`);
      assert.equal(query.status, 400);
      assert.equal(query.body[0].errorCode, 'MALFORMED_QUERY');
    });
  });
}
