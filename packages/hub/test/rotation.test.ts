import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestOrg, type TestOrg } from '../../org/test/helpers/org.js';
import { applySetupText } from '../../org/src/setup/apply.js';
import { connectionClient } from '../src/connections/connections.js';
import { runRotation, startRotation } from '../src/rotation/rotation.js';
import { STORES, startTestHub, type TestHub } from './helpers.js';

for (const store of STORES) {
  describe(`scheduled zero-downtime rotation of a Salesforce consumer secret (${store.name})`, () => {
    let org: TestOrg;
    let hub: TestHub;
    let key: string;
    let target: string;
    let admin: string;
    const webhook: unknown[] = [];
    let webhookUrl: string;
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => { webhook.push(JSON.parse(body)); res.end(); });
    });
    before(async () => {
      org = await startTestOrg(STORES[0]!);
      hub = await startTestHub(store, { rotation: { attempts: 2, initialDelayMs: 20, tickMs: 3_600_000 } });
      key = await hub.key();
      await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
      webhookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
      const create = async (name: string, app: { consumerKey: string; consumerSecret: string }) => {
        const res = await hub.api(key, 'POST', '/api/v1/connections', { name, app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: org.instanceUrl, ...app } });
        assert.equal(res.status, 201, res.text);
        return (res.body.connection as { id: string }).id;
      };
      target = await create('Salesforce production', org.apps.MuleSoft_Integration!);
      admin = await create('Salesforce admin', org.apps.Admin_Tools!);
    });
    after(async () => {
      await hub.close();
      await org.close();
      hook.close();
    });
    const appConsumers = async () => org.store.db.selectFrom('app_consumers').innerJoin('apps', 'apps.id', 'app_consumers.app_id').select(['app_consumers.consumer_key', 'app_consumers.role', 'app_consumers.state']).where('apps.api_name', '=', 'MuleSoft_Integration').execute();

    it('refuses a policy whose administrative connection logs in with the credential it would rotate', async () => {
      const same = await hub.api(key, 'PUT', `/api/v1/connections/${target}/rotation-policy`, { adminConnectionId: target, intervalHours: 24 });
      assert.equal(same.status, 400);
      assert.match(same.text, /another consumer key/);
      const twin = await hub.api(key, 'POST', '/api/v1/connections', { name: 'Twin', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: org.instanceUrl, ...org.apps.MuleSoft_Integration! } });
      const sameKey = await hub.api(key, 'PUT', `/api/v1/connections/${target}/rotation-policy`, { adminConnectionId: (twin.body.connection as { id: string }).id, intervalHours: 24 });
      assert.equal(sameKey.status, 400);
    });

    it('shows the policy, last and next rotation and status', async () => {
      const res = await hub.api(key, 'PUT', `/api/v1/connections/${target}/rotation-policy`, { adminConnectionId: admin, intervalHours: 24, timeOfDay: '03:00', gracePeriodSeconds: 0, webhookUrl });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, 'ok');
      assert.equal(res.body.lastRotatedAt, null);
      assert.match(String(res.body.nextRotationAt), /T03:00:00\.000Z$/);
    });

    it('rotates 10 times in a row under 200+ requests/s with zero failed calls, the load fetching tokens with each new secret, leaving one valid pair', async () => {
      // Tokens live one second (the app's session policy), so the load keeps requesting new ones
      // throughout: after each rotation it can only get them with the new pair.
      const app = await org.store.db.selectFrom('apps').select(['id', 'access_token_ttl_seconds']).where('api_name', '=', 'MuleSoft_Integration').executeTakeFirstOrThrow();
      await org.store.db.updateTable('apps').set({ access_token_ttl_seconds: 1 }).where('id', '=', app.id).execute();
      org.ctx.cache.clear();
      await org.store.db.updateTable('access_tokens').set({ revoked: 1 }).where('app_id', '=', app.id).execute();
      const tokensIssued = async (from: number, to: number) => Number((await org.store.db.selectFrom('access_tokens').select((eb) => eb.fn.countAll<number>().as('n')).where('app_id', '=', app.id).where('issued_at', '>', from).where('issued_at', '<=', to).executeTakeFirstOrThrow()).n);
      const client = await connectionClient(hub.ctx, target);
      let ok = 0;
      let failed = 0;
      let running = true;
      const started = Date.now();
      // Open-loop load paced at 300 requests/s: each tick sends what the schedule says is due, so
      // timer drift cannot lower the rate; every request is counted and none waits for another.
      const RATE = 300;
      const load = (async () => {
        const inflight: Promise<void>[] = [];
        let sent = 0;
        while (running) {
          const due = Math.floor(((Date.now() - started) / 1000) * RATE);
          for (; sent < due; sent++) {
            inflight.push(client.request('/services/data/v66.0').then(async (r) => { await r.discard(); if (r.status === 200) ok++; else failed++; }, () => { failed++; }));
          }
          await new Promise((r) => setTimeout(r, 2));
        }
        await Promise.all(inflight);
      })();
      const keys = new Set<string>();
      const tokensWithNewPair: number[] = [];
      try {
        for (let i = 0; i < 10; i++) {
          const done = await hub.rotations.rotateNow(target, 'test') as { status: string; error: string | null; staged_key: string };
          assert.equal(done.status, 'completed', done.error ?? '');
          keys.add(done.staged_key);
          // Between rotations, the org holds exactly one pair for the app: the new one. Every token
          // it issues until the next rotation starts was obtained with that pair.
          const completedAt = Date.now();
          const consumers = await appConsumers();
          assert.deepEqual(consumers.map((c) => c.role), ['primary']);
          await new Promise((r) => setTimeout(r, 1300));
          tokensWithNewPair.push(await tokensIssued(completedAt, Date.now()));
        }
      } finally {
        running = false;
        await load;
        await org.store.db.updateTable('apps').set({ access_token_ttl_seconds: app.access_token_ttl_seconds }).where('id', '=', app.id).execute();
        org.ctx.cache.clear();
      }
      assert.ok(tokensWithNewPair.every((n) => n >= 1), `the load obtained tokens with every new pair: ${tokensWithNewPair.join(', ')}`);
      const seconds = (Date.now() - started) / 1000;
      assert.equal(failed, 0, `${failed} failed calls`);
      assert.ok(ok / seconds >= 200, `${(ok / seconds).toFixed(0)} requests/s`);
      assert.equal(keys.size, 10, 'ten distinct new pairs');
      const status = (await hub.api(key, 'GET', `/api/v1/connections/${target}/rotation`)).body as { status: string; lastRotatedAt: string; rotations: { status: string }[] };
      assert.equal(status.status, 'ok');
      assert.ok(status.lastRotatedAt);
      assert.equal(status.rotations.filter((r) => r.status === 'completed').length, 10);
      const conn = (await hub.api(key, 'GET', `/api/v1/connections/${target}`)).body.connection as { config: { consumerKey: string } };
      assert.equal(conn.config.consumerKey, (await appConsumers())[0]!.consumer_key);
    });

    it('the scheduler starts a rotation when the policy is due, and schedules the next one', async () => {
      const before = (await hub.api(key, 'GET', `/api/v1/connections/${target}/rotation`)).body as { rotations: unknown[] };
      await hub.ctx.db.updateTable('rotation_policies').set({ next_rotation_at: Date.now() - 1000 }).where('connection_id', '=', target).execute();
      await hub.rotations.tick();
      await hub.rotations.rotateNow(target, 'test-join');
      const after = (await hub.api(key, 'GET', `/api/v1/connections/${target}/rotation`)).body as { rotations: { status: string }[]; nextRotationAt: string };
      assert.equal(after.rotations.length, Math.min(10, before.rotations.length + 1));
      assert.equal(after.rotations[0]!.status, 'completed');
      assert.ok(Date.parse(after.nextRotationAt) > Date.now() + 23 * 3_600_000, 'next rotation a day later');
    });

    it('rotations asked for at once are one rotation, in this process and across processes', async () => {
      const count = async () => Number((await hub.ctx.db.selectFrom('rotations').select((eb) => eb.fn.countAll<number>().as('n')).where('connection_id', '=', target).executeTakeFirstOrThrow()).n);
      const before = await count();
      const runs = await Promise.all([hub.rotations.rotateNow(target, 'a'), hub.rotations.rotateNow(target, 'b'), hub.rotations.rotateNow(target, 'c')]) as { id: string; status: string }[];
      assert.equal(new Set(runs.map((r) => r.id)).size, 1, 'three calls joined one rotation');
      assert.equal(await count(), before + 1);
      // Two processes: each checks the store, finds nothing running, and inserts. The unique index lets one in.
      const started = await Promise.all([startRotation(hub.ctx, target, 'process-1'), startRotation(hub.ctx, target, 'process-2')]);
      assert.equal(started[0]!.id, started[1]!.id, 'both processes got the same rotation');
      assert.equal(await count(), before + 2);
      await hub.rotations.rotateNow(target, 'finish');
      const running = await hub.ctx.db.selectFrom('rotations').select('id').where('connection_id', '=', target).where('status', '=', 'running').execute();
      if (running.length) await runRotation(hub.ctx, running[0]!.id, { initialDelayMs: 10 });
    });

    it('clears an old pair left in the staged slot by an earlier, interrupted rotation', async () => {
      const adminToken = await (await connectionClient(hub.ctx, admin)).request('/services/data/v65.0/apps/oauth/usage');
      const appId = ((await adminToken.json()) as { apps: { identifier: string; developerName: string }[] }).apps.find((a) => a.developerName === 'MuleSoft_Integration')!.identifier;
      const client = await connectionClient(hub.ctx, admin);
      const consumers = (await (await client.request(`/services/data/v65.0/apps/oauth/credentials/${appId}`)).json()) as { consumers: { id: string }[] };
      const leftover = await client.request(`/services/data/v65.0/apps/oauth/credentials/${appId}/${consumers.consumers[0]!.id}/staged`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(leftover.status, 201);
      const done = await hub.rotations.rotateNow(target, 'test') as { status: string; error: string | null };
      assert.equal(done.status, 'completed', done.error ?? '');
      assert.deepEqual((await appConsumers()).map((c) => c.role), ['primary']);
    });

    it('records a rotation that cannot run at all as failed, without crashing the hub', async () => {
      const orphan = await hub.api(key, 'POST', '/api/v1/connections', { name: 'Orphan admin', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: org.instanceUrl, ...org.apps.Admin_Tools! } });
      const orphanId = (orphan.body.connection as { id: string }).id;
      await hub.api(key, 'PUT', `/api/v1/connections/${target}/rotation-policy`, { adminConnectionId: orphanId, intervalHours: 24, gracePeriodSeconds: 0, webhookUrl });
      await hub.ctx.db.updateTable('connections').set({ app: 'gone' }).where('id', '=', orphanId).execute();
      const done = await hub.rotations.rotateNow(target, 'test') as { status: string; error: string };
      assert.equal(done.status, 'failed');
      assert.match(done.error, /could not run: .*unknown app "gone"/);
      await hub.ctx.db.updateTable('connections').set({ app: 'salesforce' }).where('id', '=', orphanId).execute();
      await hub.api(key, 'PUT', `/api/v1/connections/${target}/rotation-policy`, { adminConnectionId: admin, intervalHours: 24, gracePeriodSeconds: 0, webhookUrl });
    });

    it('on failure keeps the old credential working, shows "rotation failed" with the reason and calls the webhook', async () => {
      await applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'test' }, 'org:\n  name: Handshake Demo Org\n  allowConsumerSecretsViaRest: false\n', 'off.yaml');
      const before = await appConsumers();
      const done = await hub.rotations.rotateNow(target, 'test') as { status: string; error: string };
      assert.equal(done.status, 'failed');
      assert.match(done.error, /FUNCTIONALITY_NOT_ENABLED/);
      const status = (await hub.api(key, 'GET', `/api/v1/connections/${target}/rotation`)).body as { status: string; statusReason: string };
      assert.equal(status.status, 'rotation_failed');
      assert.match(status.statusReason, /not currently enabled/);
      assert.deepEqual(await appConsumers(), before, 'nothing changed at the org');
      await org.store.db.updateTable('access_tokens').set({ revoked: 1 }).execute();
      assert.equal((await (await connectionClient(hub.ctx, target)).request('/services/data/v66.0')).status, 200, 'the old credential still obtains tokens');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((webhook.at(-1) as { event: string; connectionId: string }).event, 'rotation.failed');
      assert.equal((webhook.at(-1) as { connectionId: string }).connectionId, target);
      const auditLog = await hub.api(key, 'GET', `/api/v1/audit?connectionId=${target}&limit=1000`);
      assert.ok(!auditLog.text.includes(org.consumerSecret));
      await applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'test' }, 'org:\n  name: Handshake Demo Org\n  allowConsumerSecretsViaRest: true\n', 'on.yaml');
      assert.equal((await hub.rotations.rotateNow(target, 'test') as { status: string }).status, 'completed', 'the next cycle tries again and succeeds');
    });
  });
}
