import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { applySetupText } from '../src/setup/apply.js';
import { STORES, startTestOrg, tokenFor, type TestOrg } from './helpers/org.js';

/**
 * A property over random permission sets, sharing settings and records: every path (SOQL,
 * retrieve, describe, update) returns exactly the records and fields the rules allow, and no more.
 * The oracle below restates Salesforce's rules independently of the org's implementation.
 */

const USERS = ['p1@handshake.test', 'p2@handshake.test', 'p3@handshake.test'] as const;
const OWNERS = [...USERS, 'admin@handshake.demo'] as const;
type Owd = 'Private' | 'Public Read Only' | 'Public Read/Write';

interface Scenario {
  owd: Owd;
  perms: { object: ('Read' | 'Edit' | 'ViewAll')[]; phone: 'none' | 'read' | 'edit' }[];
  rules: { owner: number; sharedWith: number; access: 'Read' | 'Read/Write' }[];
  records: { owner: number; phone: string }[];
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  owd: fc.constantFrom<Owd>('Private', 'Public Read Only', 'Public Read/Write'),
  perms: fc.tuple(...USERS.map(() => fc.record({
    object: fc.subarray(['Read', 'Edit', 'ViewAll'] as ('Read' | 'Edit' | 'ViewAll')[]),
    phone: fc.constantFrom<'none' | 'read' | 'edit'>('none', 'read', 'edit'),
  }))),
  rules: fc.array(fc.record({ owner: fc.integer({ min: 0, max: 3 }), sharedWith: fc.integer({ min: 0, max: 2 }), access: fc.constantFrom<'Read' | 'Read/Write'>('Read', 'Read/Write') }), { maxLength: 3 }),
  records: fc.array(fc.record({ owner: fc.integer({ min: 0, max: 3 }), phone: fc.stringMatching(/^[0-9]{3,6}$/) }), { maxLength: 8 }),
});

function setupYaml(s: Scenario): string {
  return JSON.stringify({
    permissionSets: s.perms.map((p, i) => ({
      name: `Prop_${i}`, label: `Prop ${i}`,
      objects: p.object.length ? { Account: p.object } : {},
      fields: p.phone === 'none' ? {} : { 'Account.Phone': p.phone === 'edit' ? ['Read', 'Edit'] : ['Read'] },
    })),
    users: USERS.map((u, i) => ({ username: u, email: u, lastName: `P${i}`, licence: 'Salesforce Integration', profile: 'Minimum Access - API Only Integrations', permissionSetLicences: ['Salesforce API Integration'], permissionSets: [`Prop_${i}`] })),
    sharing: { Account: { default: s.owd, rules: s.rules.map((r, i) => ({ name: `R${i}`, ownedBy: [OWNERS[r.owner]], sharedWith: [USERS[r.sharedWith]], access: r.access })) } },
    apps: USERS.map((u, i) => ({ name: `Prop ${i}`, apiName: `Prop_${i}`, contactEmail: 'admin@handshake.demo', oauth: { scopes: ['api'], flows: ['client_credentials'] }, policies: { runAs: u } })),
  });
}

/** What Salesforce's rules say user `u` may do with record `r`. */
function oracle(s: Scenario, u: number, ownerIndex: number) {
  const p = s.perms[u]!;
  const readObject = p.object.length > 0;
  const editObject = p.object.includes('Edit');
  const shared = (need: 'Read' | 'Read/Write') => s.rules.some((r) => r.sharedWith === u && r.owner === ownerIndex && (need === 'Read' || r.access === 'Read/Write'));
  const own = ownerIndex === u;
  const visible = readObject && (p.object.includes('ViewAll') || s.owd !== 'Private' || own || shared('Read'));
  const editable = visible && editObject && (s.owd === 'Public Read/Write' || own || shared('Read/Write'));
  return { readObject, visible, editable, phoneReadable: p.phone !== 'none', phoneEditable: p.phone === 'edit' };
}

describe('record and field access, property-based', () => {
  let org: TestOrg;
  before(async () => {
    org = await startTestOrg(STORES[0]!);
    const applied = await applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'test' }, setupYaml({ owd: 'Private', perms: USERS.map(() => ({ object: [], phone: 'none' as const })), rules: [], records: [] }), 'property.json');
    for (const app of applied.newApps) org.apps[app.apiName] = { consumerKey: app.consumerKey, consumerSecret: app.consumerSecret };
    await org.data.reload();
  });
  after(() => org.close());

  it('every path returns exactly the records and fields the rules allow', async () => {
    const api = async (token: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${org.instanceUrl}/services/data/v62.0${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    const adminToken = await tokenFor(org, 'Admin_Tools');
    const tokens = await Promise.all(USERS.map((_, i) => tokenFor(org, `Prop_${i}`)));
    const userIds = await Promise.all(OWNERS.map(async (u) => (await org.store.db.selectFrom('users').select('id').where('username', '=', u).executeTakeFirstOrThrow()).id));

    await fc.assert(fc.asyncProperty(scenario, async (s) => {
      await applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'test' }, setupYaml(s), 'property.json');
      await org.data.reload();
      await sql`DELETE FROM sobj_account`.execute(org.store.db);
      const records: { id: string; owner: number; phone: string }[] = [];
      for (const r of s.records) {
        const res = await api(adminToken, 'POST', '/sobjects/Account', { Name: 'Prop', Phone: r.phone, OwnerId: userIds[r.owner] });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        records.push({ id: res.body.id, ...r });
      }
      for (let u = 0; u < USERS.length; u++) {
        const token = tokens[u]!;
        const expect = (owner: number) => oracle(s, u, owner);
        const { readObject, phoneReadable, phoneEditable } = expect(0);

        const query = await api(token, 'GET', `/query?q=${encodeURIComponent('SELECT Id FROM Account')}`);
        if (!readObject) {
          assert.equal(query.body[0].errorCode, 'INVALID_TYPE');
          continue;
        }
        const wanted = records.filter((r) => expect(r.owner).visible).map((r) => r.id).sort();
        assert.deepEqual(query.body.records.map((r: { Id: string }) => r.Id).sort(), wanted, `user ${u} SOQL ids`);

        const withPhone = await api(token, 'GET', `/query?q=${encodeURIComponent('SELECT Id, Phone FROM Account')}`);
        if (!phoneReadable) assert.equal(withPhone.body[0].errorCode, 'INVALID_FIELD');
        else assert.deepEqual(withPhone.body.records.map((r: { Phone: string }) => r.Phone).sort(), records.filter((r) => expect(r.owner).visible).map((r) => r.phone).sort());

        const describe = await api(token, 'GET', '/sobjects/Account/describe');
        const phone = describe.body.fields.find((f: { name: string }) => f.name === 'Phone');
        assert.equal(phone !== undefined, phoneReadable, 'describe shows Phone exactly when it is readable');
        if (phone) assert.equal(phone.updateable, phoneEditable && s.perms[u]!.object.includes('Edit'));

        for (const r of records) {
          const e = expect(r.owner);
          const got = await api(token, 'GET', `/sobjects/Account/${r.id}`);
          assert.equal(got.status, e.visible ? 200 : 404, `user ${u} retrieve`);
          if (e.visible) assert.equal('Phone' in got.body, phoneReadable);

          const update = await api(token, 'PATCH', `/sobjects/Account/${r.id}`, { Phone: '999' });
          const expected = !e.visible ? 404 : !e.editable || !phoneReadable || !phoneEditable ? 400 : 204;
          assert.equal(update.status, expected, `user ${u} update of a record owned by ${r.owner}: ${JSON.stringify(update.body)}`);
          if (expected === 400) {
            const code = !e.editable ? 'INSUFFICIENT_ACCESS_OR_READONLY' : !phoneReadable ? 'INVALID_FIELD' : 'INVALID_FIELD_FOR_INSERT_UPDATE';
            assert.equal(update.body[0].errorCode, code);
          }
          if (expected === 204) await api(adminToken, 'PATCH', `/sobjects/Account/${r.id}`, { Phone: r.phone });
        }
      }
    }), { numRuns: 30 });
  });
});
