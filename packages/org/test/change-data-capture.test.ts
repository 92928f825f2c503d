import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StreamingExtension } from 'jsforce/lib/api/streaming.js';
import { applySetupText } from '../src/setup/apply.js';
import { STORES } from './helpers/org.js';
import { rest, startDataOrg, type DataOrg } from './helpers/data-org.js';

interface Received { payload: { ChangeEventHeader: { changeType: string; entityName: string; recordIds: string[]; changedFields: string[]; commitTimestamp: number }; [k: string]: unknown }; event: { replayId: number } }
type Faye = { subscribe(channel: string, cb: (m: Received) => void): PromiseLike<void> & { cancel(): void }; disconnect(): PromiseLike<void> | undefined };

const until = async (check: () => boolean, what: string, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

for (const store of STORES) {
  describe(`Change Data Capture over the Streaming API, jsforce's (faye) client (${store.name})`, () => {
    let org: DataOrg;
    const clients: Faye[] = [];
    before(async () => {
      org = await startDataOrg(store);
      await applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'test' }, 'changeDataCapture: [Account, Contact, Invoice__c, Order]\n', 'cdc.yaml');
      await org.data.reload();
    });
    after(async () => {
      // Each client hears its disconnect answered (and its last long poll with it) before the org stops;
      // otherwise faye retries a closed server for ever.
      await Promise.all(clients.map((c) => c.disconnect()));
      await org.close();
    });
    /** A subscribed client (the replay extension set to `replay`), collecting what it receives. */
    const listen = async (conn: DataOrg['integration'], channel: string, replay: number) => {
      const client = conn.streaming.createClient([new StreamingExtension.Replay(channel, replay)]) as unknown as Faye;
      clients.push(client);
      const received: Received[] = [];
      await client.subscribe(channel, (m) => received.push(m));
      return { client, received };
    };

    it('delivers committed creates, updates and deletes with Salesforce\'s ChangeEventHeader, in order', async () => {
      const { received } = await listen(org.integration, '/data/AccountChangeEvent', -1);
      const created = await org.integration.sobject('Account').create({ Name: 'CDC One', Phone: '1' });
      await org.integration.sobject('Account').update({ Id: created.id!, Phone: '2' });
      await org.integration.sobject('Account').destroy(created.id!);
      await until(() => received.length >= 3, 'three change events');
      assert.deepEqual(received.map((m) => m.payload.ChangeEventHeader.changeType), ['CREATE', 'UPDATE', 'DELETE']);
      const [create, update] = received;
      assert.equal(create!.payload.ChangeEventHeader.entityName, 'Account');
      assert.deepEqual(create!.payload.ChangeEventHeader.recordIds, [created.id]);
      assert.equal(create!.payload.Name, 'CDC One');
      assert.deepEqual(update!.payload.ChangeEventHeader.changedFields.sort(), ['LastModifiedDate', 'Phone'], 'only what changed (the same user edited it)');
      assert.equal(update!.payload.Phone, '2');
      assert.ok(received[1]!.event.replayId > received[0]!.event.replayId && received[2]!.event.replayId > received[1]!.event.replayId);
      assert.ok(Date.now() - create!.payload.ChangeEventHeader.commitTimestamp < 10_000);
    });

    it('an item added to an order is an UPDATE of the order\'s roll-up TotalAmount (roll-ups are in change events)', async () => {
      const { received } = await listen(org.integration, '/data/OrderChangeEvent', -1);
      const account = await org.integration.sobject('Account').create({ Name: 'CDC Orders' });
      const order = await org.integration.sobject('Order').create({ AccountId: account.id!, EffectiveDate: '2026-12-01', Status: 'Draft' });
      await org.integration.sobject('OrderItem').create({ OrderId: order.id!, Quantity: 2, UnitPrice: 5 });
      await org.integration.sobject('OrderItem').create({ OrderId: order.id!, Quantity: 1, UnitPrice: 0 });
      await until(() => received.length >= 2, 'the create and the roll-up update');
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(received.map((m) => m.payload.ChangeEventHeader.changeType), ['CREATE', 'UPDATE'], 'an item that leaves the total alone changes nothing');
      assert.deepEqual(received[1]!.payload.ChangeEventHeader.recordIds, [order.id]);
      assert.deepEqual(received[1]!.payload.ChangeEventHeader.changedFields, ['TotalAmount']);
      assert.equal(received[1]!.payload.TotalAmount, 10);
    });

    it('applies field-level security to event bodies, not record sharing; other objects\' channels are refused', async () => {
      const reader = await listen(org.reader, '/data/AccountChangeEvent', -1);
      const mine = await listen(org.integration, '/data/AccountChangeEvent', -1);
      await org.integration.sobject('Account').create({ Name: 'CDC Hidden Number', AccountNumber: 'A-42' });
      await until(() => reader.received.length >= 1 && mine.received.length >= 1, 'the event for both');
      assert.equal(mine.received[0]!.payload.AccountNumber, 'A-42');
      assert.equal(reader.received[0]!.payload.AccountNumber, undefined, 'the reader cannot read AccountNumber');
      assert.ok(!reader.received[0]!.payload.ChangeEventHeader.changedFields.includes('AccountNumber'));
      assert.equal(reader.received[0]!.payload.Name, 'CDC Hidden Number', 'but reads Name, of a record sharing would hide from it');
      const refused = (channel: string, conn = org.integration) => new Promise<string>((resolve) => {
        const client = conn.streaming.createClient([]) as unknown as { subscribe(c: string, cb: () => void): { errback(f: (e: Error) => void): void }; disconnect(): PromiseLike<void> | undefined };
        clients.push(client as unknown as Faye);
        client.subscribe(channel, () => undefined).errback((e: Error) => resolve(String(e.message)));
      });
      assert.match(await refused('/data/LeadChangeEvent'), /^400::The channel you requested to subscribe to does not exist/, 'Lead is not enabled');
      assert.match(await refused('/data/ContactChangeEvent', org.reader), /^403::You do not have access to Contact change events/, 'an object the user cannot read');
      assert.match(await refused('/data/../../sobjects'), /does not exist/);
    });

    it('replays after a reconnect from the last replay id (and -2 from the start); a rolled-back change sends nothing', async () => {
      const first = await listen(org.integration, '/data/AccountChangeEvent', -1);
      await org.integration.sobject('Account').create({ Name: 'CDC Before' });
      await until(() => first.received.length >= 1, 'the first event');
      const last = first.received.at(-1)!.event.replayId;
      await first.client.disconnect();
      await org.integration.sobject('Account').create([{ Name: 'CDC Missed 1' }, { Name: 'CDC Missed 2' }]);
      const token = await org.token('MuleSoft_Integration');
      const v = '/services/data/v62.0';
      await rest(org, token, 'POST', '/composite', { allOrNone: true, compositeRequest: [
        { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'a', body: { Name: 'CDC Rolled Back' } },
        { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'b', body: {} },
      ] });
      const again = await listen(org.integration, '/data/AccountChangeEvent', last);
      await until(() => again.received.length >= 2, 'the two missed events');
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(again.received.map((m) => m.payload.Name), ['CDC Missed 1', 'CDC Missed 2'], 'exactly the missed ones; nothing of the rolled-back request');
      const all = await listen(org.integration, '/data/ChangeEvents', -2);
      await until(() => all.received.some((m) => m.payload.Name === 'CDC Missed 2'), 'every retained event');
      assert.equal(all.received[0]!.payload.Name, 'CDC One', 'from the first retained event');
    });

    it('platform events: a REST create publishes (201, OPERATION_ENQUEUED with the EventUuid); /event/Low_Ink__e delivers them, replayable, trimmed by field-level security', async () => {
      const mine = await listen(org.integration, '/event/Low_Ink__e', -1);
      const reader = await listen(org.reader, '/event/Low_Ink__e', -1);
      const published = await org.integration.sobject('Low_Ink__e').create({ Printer_Model__c: 'XZO-5', Ink_Percentage__c: 0.2, Service_Code__c: 'S-1' });
      assert.equal(published.success, true);
      const enqueued = (published as unknown as { errors: { statusCode: string; message: string }[] }).errors[0]!;
      assert.equal(enqueued.statusCode, 'OPERATION_ENQUEUED');
      assert.match(enqueued.message, /^[0-9a-f-]{36}$/);
      await until(() => mine.received.length >= 1 && reader.received.length >= 1, 'the event for both');
      const got = mine.received[0] as unknown as { payload: Record<string, unknown>; event: { EventUuid: string; replayId: number } };
      assert.equal(got.event.EventUuid, enqueued.message, 'the delivered EventUuid is the one the publish answered');
      assert.equal(got.payload.Printer_Model__c, 'XZO-5');
      assert.equal(got.payload.Ink_Percentage__c, 0.2);
      assert.equal(got.payload.CreatedById !== undefined && typeof got.payload.CreatedDate, 'string');
      assert.equal((reader.received[0] as unknown as { payload: Record<string, unknown> }).payload.Service_Code__c, undefined, 'the reader cannot read Service_Code__c');
      assert.equal((reader.received[0] as unknown as { payload: Record<string, unknown> }).payload.Printer_Model__c, 'XZO-5');
      // After a reconnect, from the replay id of the first: the ones published meanwhile, in order.
      await org.integration.sobject('Low_Ink__e').create([{ Printer_Model__c: 'XZO-6' }, { Printer_Model__c: 'XZO-7' }]);
      const again = await listen(org.integration, '/event/Low_Ink__e', got.event.replayId);
      await until(() => again.received.length >= 2, 'the two later events');
      assert.deepEqual(again.received.map((m) => (m as unknown as { payload: { Printer_Model__c: string } }).payload.Printer_Model__c), ['XZO-6', 'XZO-7']);
      // Not a record: not queried, not read back; a user without Create cannot publish; a required field is required.
      const token = await org.token('MuleSoft_Integration');
      const text = async (answer: Promise<{ body: unknown }>) => JSON.stringify((await answer).body);
      assert.match(await text(rest(org, token, 'GET', `/query?q=${encodeURIComponent('SELECT Printer_Model__c FROM Low_Ink__e')}`)), /INVALID_TYPE/);
      assert.equal((await rest(org, token, 'GET', `/sobjects/Low_Ink__e/${published.id}`)).status, 404);
      assert.equal((await rest(org, token, 'DELETE', `/sobjects/Low_Ink__e/${published.id}`)).status, 404);
      assert.match(await text(rest(org, await org.token('Reader_Tools'), 'POST', '/sobjects/Low_Ink__e', { Printer_Model__c: 'X' })), /INSUFFICIENT_ACCESS/);
      assert.match(await text(rest(org, token, 'POST', '/sobjects/Low_Ink__e', { Ink_Percentage__c: 1 })), /REQUIRED_FIELD_MISSING/);
      assert.match(await text(rest(org, token, 'POST', '/sobjects/Low_Ink__e', { Printer_Model__c: 'X', EventUuid: 'mine' })), /INVALID_FIELD_FOR_INSERT_UPDATE/);
      const describe = await org.integration.sobject('Low_Ink__e').describe();
      assert.deepEqual(describe.fields.map((f) => f.name).slice(0, 4), ['ReplayId', 'CreatedDate', 'CreatedById', 'EventUuid']);
      const wrongCase = await new Promise<string>((resolve) => {
        const client = org.integration.streaming.createClient([]) as unknown as { subscribe(c: string, cb: () => void): { errback(f: (e: Error) => void): void }; disconnect(): PromiseLike<void> | undefined };
        clients.push(client as unknown as Faye);
        client.subscribe('/event/low_ink__e', () => undefined).errback((e: Error) => resolve(String(e.message)));
      });
      assert.match(wrongCase, /does not exist/, 'channels are case-sensitive');
    });

    it('keeps events 72 hours: a replay id older than that is refused, as Salesforce does', async () => {
      const token = await org.token('MuleSoft_Integration');
      const purged = await org.streaming.purge(Date.now() + 73 * 60 * 60 * 1000);
      assert.ok(purged > 0, 'old events were purged');
      const handshake = await fetch(`${org.instanceUrl}/cometd/62.0`, { method: 'POST', headers: { authorization: `OAuth ${token}`, 'content-type': 'application/json' }, body: JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] }]) });
      const [hello] = (await handshake.json()) as { clientId: string; ext: { replay: boolean } }[];
      assert.equal(hello!.ext.replay, true);
      const subscribe = await fetch(`${org.instanceUrl}/cometd/62.0`, { method: 'POST', headers: { authorization: `OAuth ${token}`, 'content-type': 'application/json' }, body: JSON.stringify([{ channel: '/meta/subscribe', clientId: hello!.clientId, subscription: '/data/AccountChangeEvent', ext: { replay: { '/data/AccountChangeEvent': 1 } } }]) });
      const [answer] = (await subscribe.json()) as { successful: boolean; error: string }[];
      assert.equal(answer!.successful, false);
      assert.match(answer!.error, /^400::The replayId \{1\} you provided was invalid/);
      const stranger = await fetch(`${org.instanceUrl}/cometd/62.0`, { method: 'POST', headers: { authorization: `OAuth ${await org.token('Reader_Tools')}`, 'content-type': 'application/json' }, body: JSON.stringify([{ channel: '/meta/connect', clientId: hello!.clientId, connectionType: 'long-polling' }]) });
      assert.match(JSON.stringify(await stranger.json()), /403::Unknown client/, 'another user cannot use this client id');
      const noAuth = await fetch(`${org.instanceUrl}/cometd/62.0`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
      assert.equal(noAuth.status, 401);
      // One token cannot hold an unbounded number of clients (each keeps subscriptions and a long poll).
      const hello50 = JSON.stringify(Array.from({ length: 50 }, () => ({ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] })));
      const many = (await (await fetch(`${org.instanceUrl}/cometd/62.0`, { method: 'POST', headers: { authorization: `OAuth ${token}`, 'content-type': 'application/json' }, body: hello50 })).json()) as { successful: boolean; error?: string }[];
      assert.ok(many.some((m) => !m.successful && /^403::This user has 50 streaming clients already/.test(m.error ?? '')), 'past the cap, a handshake is refused');
      const bad = await fetch(`${org.instanceUrl}/cometd/62.0`, { method: 'POST', headers: { authorization: `OAuth ${token}`, 'content-type': 'application/json' }, body: JSON.stringify([{ nochannel: true }]) });
      assert.equal(bad.status, 400);
    });
  });
}
