import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadOrgKey } from '../src/crypto/org-key.js';
import { SecretBox } from '../src/crypto/secret-box.js';
import { userAccess, findUserByUsername } from '../src/identity/users.js';
import { DEMO_SETUP_FILE } from '../src/org/start.js';
import { applySetupText } from '../src/setup/apply.js';
import { SetupError } from '../src/setup/problems.js';
import { openStore, type Store } from '../src/store/database.js';
import { STORES, writeTemp } from './helpers/org.js';

const CLI = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));
const demo = readFileSync(DEMO_SETUP_FILE, 'utf8');

async function problemsOf(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SetupError) return error.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
    throw error;
  }
  assert.fail('the setup was accepted');
}

for (const variant of STORES) {
  describe(`setup as code (${variant.name})`, () => {
    let store: Store;
    let box: SecretBox;
    const options = variant.fresh();
    before(async () => {
      store = await openStore({ ...options, schema: options.databaseSchema });
      box = new SecretBox(loadOrgKey(options.dataDir));
    });
    after(() => store.close());
    const apply = (text: string, file = 'setup.yaml') => applySetupText({ db: store.db, box, actor: 'test' }, text, file);

    it('applies the demo setup (the seed guide) and shows the new app secret once', async () => {
      const summary = await apply(demo, 'demo.yaml');
      assert.ok(summary.created.includes('user integration@handshake.demo'));
      assert.ok(summary.created.includes('permission set MuleSoft_SFDC_Integration'));
      assert.deepEqual(summary.newApps.map((a) => a.apiName), ['MuleSoft_Integration', 'Hub_Admin']);
      for (const app of summary.newApps) {
        assert.match(app.consumerKey, /^3MVG9/);
        assert.match(app.consumerSecret, /^[0-9A-F]{64}$/);
      }
      const stored = await store.db.selectFrom('app_consumers').selectAll().execute();
      assert.equal(stored.length, 2);
      for (const app of summary.newApps) assert.ok(!JSON.stringify(stored).includes(app.consumerSecret), 'the secret is stored only hashed and sealed');
    });

    it('is idempotent: applying again changes nothing and shows no secret', async () => {
      const before = await store.db.selectFrom('app_consumers').select('consumer_key').execute();
      const summary = await apply(demo, 'demo.yaml');
      assert.deepEqual(summary.created, []);
      assert.deepEqual(summary.updated, []);
      assert.deepEqual(summary.newApps, []);
      assert.deepEqual(await store.db.selectFrom('app_consumers').select('consumer_key').execute(), before);
    });

    it('computes effective access as profile ∪ permission sets', async () => {
      const user = (await findUserByUsername(store.db, 'integration@handshake.demo'))!;
      const access = await userAccess(store.db, user);
      assert.equal(access.apiOnly, true);
      assert.deepEqual(access.objects.Lead, ['Read', 'Create', 'Edit', 'Delete']);
      assert.equal(access.objects.Product2, undefined);
      assert.deepEqual(access.fields['Order.OrderNumber'], ['Read']);
      assert.deepEqual(access.system, ['ApiEnabled', 'ApiUserOnly']);
      assert.deepEqual(access.permissionSetLicences, ['Salesforce API Integration']);
      const admin = await userAccess(store.db, (await findUserByUsername(store.db, 'admin@handshake.demo'))!);
      assert.ok(admin.system.includes('ViewClientSecret'));
      assert.deepEqual(admin.objects.Account, ['Read', 'Create', 'Edit', 'Delete', 'ViewAll', 'ModifyAll']);
    });

    it('updates what changed, and only that', async () => {
      const changed = demo.replace('Order: [Read, Create, Edit, Delete]', 'Order: [Read]');
      const summary = await apply(changed);
      assert.deepEqual(summary.updated, ['permission set MuleSoft_SFDC_Integration']);
      const user = (await findUserByUsername(store.db, 'integration@handshake.demo'))!;
      assert.deepEqual((await userAccess(store.db, user)).objects.Order, ['Read']);
      await apply(demo);
    });

    it('refuses a bad file whole, listing every problem with its line', async () => {
      const bad = `users:
  - username: new.user@handshake.test
    email: new.user@handshake.test
    lastName: New
    licence: Salesforce Integration
    profile: Standard User
  - username: other@handshake.test
    email: other@handshake.test
    lastName: Other
    licence: Salesforce
    profile: Standard User
    permissionSets: [Does_Not_Exist]
permissionSets:
  - name: Bad_Set
    label: Bad
    system: [ApiEnabled, FlyToTheMoon]
    objects:
      Account: [Read, Teleport]
      Widget: [Read]
apps:
  - name: Bad App
    apiName: Bad_App
    contactEmail: admin@handshake.demo
    oauth: { scopes: [api], flows: [client_credentials] }
    policies: { runAs: nobody@handshake.test }
`;
      // Schema problems are reported first (all of them), with lines.
      const schemaProblems = await problemsOf(apply(bad, 'bad.yaml'));
      assert.ok(schemaProblems.some((p) => /^16:\d+ permissionSets\[0\]\.system\[1\]: /.test(p)), schemaProblems.join('\n'));
      assert.ok(schemaProblems.some((p) => /^18:\d+ permissionSets\[0\]\.objects\.Account\[1\]: /.test(p)), schemaProblems.join('\n'));
      // With the schema fixed, the cross-reference problems.
      const fixed = bad.replace(', FlyToTheMoon', '').replace('[Read, Teleport]', '[Read]');
      const problems = await problemsOf(apply(fixed, 'bad.yaml'));
      assert.ok(problems.some((p) => p.startsWith('6:') && /users\[0\]\.profile: the Salesforce Integration licence allows only API-only profiles/.test(p)), problems.join('\n'));
      assert.ok(problems.some((p) => p.startsWith('12:') && /unknown permission set "Does_Not_Exist"/.test(p)), problems.join('\n'));
      assert.ok(problems.some((p) => p.startsWith('19:') && /unknown object "Widget"/.test(p)), problems.join('\n'));
      assert.ok(problems.some((p) => p.startsWith('25:') && /run-as user "nobody@handshake.test" does not exist/.test(p)), problems.join('\n'));
      assert.equal(await findUserByUsername(store.db, 'other@handshake.test'), undefined, 'nothing was half-applied');
      assert.equal(await store.db.selectFrom('permission_sets').select('id').where('name', '=', 'Bad_Set').executeTakeFirst(), undefined);
    });

    it('declares custom objects and fields; refuses bad ones with their lines and applies nothing', async () => {
      const good = `objects:
  Shipment__c:
    label: Shipment
    fields:
      Weight__c: { type: number, precision: 10, scale: 2 }
      Account__c: { type: lookup, referenceTo: Account }
  Account:
    fields:
      Tier__c: { type: picklist, values: [Gold, Silver] }
permissionSets:
  - name: Shipments
    label: Shipments
    objects: { Shipment__c: [Read, Create] }
    fields: { Shipment__c.Weight__c: [Read, Edit], Account.Tier__c: [Read] }
`;
      const summary = await apply(good);
      assert.ok(summary.created.includes('object Shipment__c') && summary.created.includes('object Account'));
      assert.deepEqual((await apply(good)).created, [], 'applying again is a no-op');
      const bad = `objects:
  Widget:
    fields:
      Size__c: { type: number }
  Parcel__c:
    fields:
      Kind__c: { type: picklist }
      Box__c: { type: lookup, referenceTo: Crate__c }
      Flag__c: { type: checkbox, externalId: true }
      Name: { type: text }
permissionSets:
  - name: Parcels
    label: Parcels
    fields: { Parcel__c.Nope__c: [Read] }
`;
      const schemaProblems = await problemsOf(apply(bad, 'objects.yaml'));
      assert.ok(schemaProblems.some((p) => /^10:\d+ objects\.Parcel__c\.fields\.Name: .*__c/.test(p)), schemaProblems.join('\n'));
      const problems = await problemsOf(apply(bad.replace('      Name: { type: text }\n', ''), 'objects.yaml'));
      assert.ok(problems.some((p) => p.startsWith('3:') && /unknown object "Widget"/.test(p)), problems.join('\n'));
      assert.ok(problems.some((p) => /Kind__c\.values: a picklist field needs its values/.test(p)), problems.join('\n'));
      assert.ok(problems.some((p) => /Box__c\.referenceTo: unknown object "Crate__c"/.test(p)), problems.join('\n'));
      assert.ok(problems.some((p) => /Flag__c: only text, number and email fields can be external ids/.test(p)), problems.join('\n'));
      assert.ok(problems.some((p) => /unknown field "Nope__c" on Parcel__c/.test(p)), problems.join('\n'));
      assert.equal(await store.db.selectFrom('data_objects').select('name').where('name', '=', 'Parcel__c').executeTakeFirst(), undefined, 'nothing was half-applied');
    });

    it('reports invalid YAML, unknown keys and wrong types with their lines', async () => {
      assert.match((await problemsOf(apply('users: [\n  - a: 1\n', 'broken.yaml')))[0]!, /^\d+:\d+ : invalid YAML/);
      const unknown = await problemsOf(apply('org:\n  name: X\n  colour: blue\n'));
      assert.match(unknown[0]!, /^2:3 org: .*colour/);
      const types = await problemsOf(apply('users:\n  - username: not-an-email\n    email: a@b.co\n    lastName: L\n    licence: Platinum\n    profile: Standard User\n'));
      assert.ok(types.some((p) => /^2:15 users\[0\]\.username: /.test(p)), types.join('\n'));
      assert.ok(types.some((p) => /^5:14 users\[0\]\.licence: /.test(p)), types.join('\n'));
    });

    it('needs the API Integration permission set licence before assigning sets to an integration user', async () => {
      const problems = await problemsOf(apply(`users:
  - username: int2@handshake.test
    email: int2@handshake.test
    lastName: Int
    licence: Salesforce Integration
    profile: Minimum Access - API Only Integrations
    permissionSets: [MuleSoft_SFDC_Integration]
`));
      assert.ok(problems.some((p) => /needs the Salesforce API Integration permission set licence/.test(p)), problems.join('\n'));
    });
  });
}

describe('handshake CLI', () => {
  it('org serve starts the demo org and prints what a user needs to get a token', async () => {
    const data = STORES[0]!.fresh().dataDir;
    const child = spawn(process.execPath, [CLI, 'org', 'serve', '--data', data, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('Press Ctrl+C')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
      });
      const instanceUrl = /Instance URL \(My Domain\): (\S+)/.exec(out)![1]!;
      const key = /Consumer key:\s+(\S+)/.exec(out)![1]!;
      const secret = /Consumer secret:\s+(\S+)/.exec(out)![1]!;
      assert.match(out, /curl -s http:\/\/127\.0\.0\.1:\d+\/services\/oauth2\/token -d grant_type=client_credentials/);
      const res = await fetch(`${instanceUrl}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: key, client_secret: secret }) });
      assert.equal(res.status, 200);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('applies a file, prints View Summary, and lists problems with file:line on a bad file; prints the event log', async () => {
    const data = STORES[0]!.fresh().dataDir;
    const out = execFileSync(process.execPath, [CLI, 'org', 'apply', DEMO_SETUP_FILE, '--data', data], { encoding: 'utf8' });
    assert.match(out, /Consumer secret: [0-9A-F]{64}/);
    const again = execFileSync(process.execPath, [CLI, 'org', 'apply', DEMO_SETUP_FILE, '--data', data], { encoding: 'utf8' });
    assert.match(again, /0 created, 0 updated/);
    assert.doesNotMatch(again, /Consumer secret/);
    const access = execFileSync(process.execPath, [CLI, 'org', 'access', 'integration@handshake.demo', '--data', data], { encoding: 'utf8' });
    assert.match(access, /Minimum Access - API Only Integrations \(API only\)/);
    assert.match(access, /Lead\s+Read, Create, Edit, Delete/);
    assert.match(access, /API Enabled/);
    const badFile = writeTemp('bad.yaml', 'users:\n  - username: x@y.co\n    email: x@y.co\n    lastName: X\n    licence: Salesforce\n    profile: Chief\n');
    const bad = spawnSync(process.execPath, [CLI, 'org', 'apply', badFile, '--data', data], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, new RegExp(`${badFile.replace(/[.]/g, '\\.')}:6:14 users\\[0\\]\\.profile: unknown profile "Chief"`));
    // The event log: newest first, apps and users by name, an unknown kind refused.
    const store = await openStore({ dataDir: data });
    try {
      const app = await store.db.selectFrom('apps').select('id').where('api_name', '=', 'MuleSoft_Integration').executeTakeFirstOrThrow();
      const user = await store.db.selectFrom('users').select('id').where('username', '=', 'integration@handshake.demo').executeTakeFirstOrThrow();
      await store.db.insertInto('events').values({ at: Date.now() + 60_000, kind: 'token', app_id: app.id, user_id: user.id, grant_type: 'client_credentials', address: '127.0.0.1', outcome: 'success', detail: null }).execute();
    } finally {
      await store.close();
    }
    const events = execFileSync(process.execPath, [CLI, 'org', 'events', '--data', data], { encoding: 'utf8' }).trim().split('\n');
    assert.match(events[0]!, /token +success .*app=MuleSoft_Integration user=integration@handshake\.demo/, 'the newest first, by name');
    const times = events.map((line) => line.split(' ')[0]!);
    assert.deepEqual(times, [...times].sort().reverse());
    const unknownKind = spawnSync(process.execPath, [CLI, 'org', 'events', '--kind', 'tokens', '--data', data], { encoding: 'utf8' });
    assert.equal(unknownKind.status, 1);
    assert.match(unknownKind.stderr, /Unknown event kind "tokens": use one of token, revoke/);
    const help = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    assert.match(help, /org/);
    const orgHelp = execFileSync(process.execPath, [CLI, 'org', '--help'], { encoding: 'utf8' });
    for (const command of ['serve', 'apply', 'access', 'events']) assert.match(orgHelp, new RegExp(command));
  });
});
