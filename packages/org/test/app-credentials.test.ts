import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applySetupText } from '../src/setup/apply.js';
import { clientCredentials, STORES, startTestOrg, tokenFor, type TestOrg } from './helpers/org.js';

for (const store of STORES) {
  describe(`External Client App credential staging and rotation API (${store.name})`, () => {
    let clock = Date.now();
    let org: TestOrg;
    let admin: string;
    let appId: string;
    let consumerId: string;
    before(async () => {
      org = await startTestOrg(store, { now: () => clock });
      admin = await tokenFor(org, 'Admin_Tools');
    });
    after(() => org.close());
    const api = async (method: string, path: string, body?: unknown, token = admin, version = 'v65.0') => {
      const res = await fetch(`${org.instanceUrl}/services/data/${version}/apps/oauth${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) as Record<string, unknown> & Record<number, { errorCode: string; message: string }> : {} };
    };
    const tokenWith = async (key: string, secret: string) => (await clientCredentials(org, { client_id: key, client_secret: secret })).status;

    it('lists apps with their identifier (OAuth usage) and the app\'s consumers', async () => {
      const usage = await api('GET', '/usage', undefined, admin, 'v59.0');
      const demo = (usage.body.apps as { identifier: string; developerName: string }[]).find((a) => a.developerName === 'MuleSoft_Integration')!;
      assert.match(demo.identifier, /^0xI/);
      appId = demo.identifier;
      const consumers = await api('GET', `/credentials/${appId}`);
      assert.equal(consumers.status, 200);
      const [consumer] = consumers.body.consumers as { id: string; key: string; stagedCredentialsUrl: string }[];
      assert.equal(consumer!.key, org.consumerKey);
      assert.match(consumer!.stagedCredentialsUrl, /\/staged$/);
      consumerId = consumer!.id;
      assert.deepEqual((await api('GET', `/credentials/${appId}/${consumerId}?part=keyandsecret`)).body, { key: org.consumerKey, secret: org.consumerSecret });
      assert.deepEqual((await api('GET', `/credentials/${appId}/${consumerId}?part=key`)).body, { key: org.consumerKey });
    });

    let staged: { id: string; key: string; secret: string; state: string; expirationDate: string };
    it('stages a new pair that obtains tokens at once, expiring in 30 days; only one staged pair at a time', async () => {
      const res = await api('POST', `/credentials/${appId}/${consumerId}/staged`, {});
      assert.equal(res.status, 201);
      staged = res.body as unknown as typeof staged;
      assert.equal(staged.state, 'Active');
      assert.ok(Math.abs(Date.parse(staged.expirationDate) - (clock + 30 * 86_400_000)) < 1000);
      assert.match(staged.key, /^3MVG9/);
      assert.equal(await tokenWith(staged.key, staged.secret), 200, 'the staged pair obtains tokens before it is rotated in');
      assert.equal(await tokenWith(org.consumerKey, org.consumerSecret), 200);
      const again = await api('POST', `/credentials/${appId}/${consumerId}/staged`, {});
      assert.equal(again.status, 400);
      assert.match(again.body[0]!.message, /already has a staged credential/);
      const listed = await api('GET', `/credentials/${appId}/${consumerId}/staged`);
      assert.deepEqual((listed.body.stagedCredentials as { id: string }[]).map((s) => s.id), [staged.id]);
      assert.equal((listed.body.stagedCredentials as { secret?: string }[])[0]!.secret, undefined, 'listings do not repeat the secret');
    });

    it('rotates: the new pair becomes primary, the old one stays valid as Rotated until deleted', async () => {
      assert.equal((await api('PATCH', `/credentials/${appId}/${consumerId}/staged/${staged.id}`, { command: 'promote' })).status, 400);
      const rotated = await api('PATCH', `/credentials/${appId}/${consumerId}/staged/${staged.id}`, { command: 'rotate' });
      assert.equal(rotated.status, 200);
      assert.equal(rotated.body.state, 'Rotated');
      assert.equal(rotated.body.key, org.consumerKey);
      const consumers = await api('GET', `/credentials/${appId}`);
      assert.equal((consumers.body.consumers as { key: string }[])[0]!.key, staged.key);
      assert.equal(await tokenWith(staged.key, staged.secret), 200);
      assert.equal(await tokenWith(org.consumerKey, org.consumerSecret), 200, 'after a rotate both pairs obtain tokens until the old one is deleted');
      const deleted = await api('DELETE', `/credentials/${appId}/${consumerId}/staged/${rotated.body.id as string}`);
      assert.equal(deleted.status, 204);
      assert.equal(await tokenWith(org.consumerKey, org.consumerSecret), 400, 'the deleted pair no longer obtains tokens');
      assert.equal(await tokenWith(staged.key, staged.secret), 200);
    });

    it('refuses to rotate in an expired staged credential', async () => {
      const fresh = (await api('POST', `/credentials/${appId}/${consumerId}/staged`, {})).body as { id: string; key: string; secret: string };
      clock += 31 * 86_400_000;
      admin = await tokenFor(org, 'Admin_Tools');
      const got = await api('GET', `/credentials/${appId}/${consumerId}/staged/${fresh.id}`);
      assert.equal(got.body.state, 'Expired');
      const refused = await api('PATCH', `/credentials/${appId}/${consumerId}/staged/${fresh.id}`, { command: 'rotate' });
      assert.equal(refused.status, 400);
      assert.match(refused.body[0]!.message, /is Expired and cannot be rotated in/);
      org.ctx.cache.clear();
      assert.equal(await tokenWith(fresh.key, fresh.secret), 400, 'an expired staged pair obtains no token');
      assert.equal((await api('POST', `/credentials/${appId}/${consumerId}/staged`, {})).status, 201, 'an expired staged pair does not block a new one');
    });

    it('answers unknown ids with NOT_FOUND, and old API versions with NOT_FOUND', async () => {
      for (const path of [`/credentials/0xI000000000000AAA`, `/credentials/${appId}/0H4000000000000AAA`, `/credentials/${appId}/${consumerId}/staged/0H4000000000000AAA`]) {
        const res = await api('GET', path);
        assert.equal(res.status, 404, path);
        assert.equal(res.body[0]!.errorCode, 'NOT_FOUND');
      }
      assert.equal((await api('GET', `/credentials/${appId}`, undefined, admin, 'v64.0')).status, 404);
      assert.equal((await api('GET', `/credentials/${appId}/${consumerId}?part=everything`)).status, 400);
    });

    it('refuses callers without the permissions, and everyone when the org setting is off', async () => {
      const viewer = await tokenFor(org, 'Viewer_Tools');
      const denied = await api('GET', `/credentials/${appId}`, undefined, viewer);
      assert.equal(denied.status, 403);
      assert.match(denied.body[0]!.message, /ExternalClientAppDeveloper, ViewClientSecret/);
      await applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'test' }, 'org:\n  name: Handshake Demo Org\n  allowConsumerSecretsViaRest: false\n', 'off.yaml');
      const off = await api('GET', `/credentials/${appId}`);
      assert.equal(off.status, 403);
      assert.equal(off.body[0]!.errorCode, 'FUNCTIONALITY_NOT_ENABLED');
      assert.match(off.body[0]!.message, /not currently enabled/);
    });

    it('writes every step to the event log, never a value', async () => {
      const events = await org.store.db.selectFrom('events').selectAll().where('kind', '=', 'credential').execute();
      const outcomes = events.map((e) => e.outcome);
      for (const expected of ['secret_read', 'staged', 'rotated', 'staged_deleted']) assert.ok(outcomes.includes(expected), `${expected} in ${outcomes.join(', ')}`);
      assert.ok(!JSON.stringify(events).includes(staged.secret) && !JSON.stringify(events).includes(org.consumerSecret));
    });
  });
}
