/**
 * The org for the data API benchmark, in its own process (pinned to one core by the caller). It
 * prints a JSON line with its URL and a token for the demo's integration user (private sharing,
 * field-level security on), then seeds Account records on request: `seed N` on stdin.
 */
import { mkdtempSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { DEMO_SETUP_FILE, startOrg } from '../packages/org/src/org/start.js';
import { newRecordId } from '../packages/org/src/ids/salesforce-id.js';
import { addLatency } from './latency.js';

const org = await startOrg({ dataDir: mkdtempSync(join(tmpdir(), 'hs-bench-data-')), setupFile: DEMO_SETUP_FILE, logLevel: false, rateLimits: { perClientPerMinute: 1e9, perAddressPerMinute: 1e9 } });
org.data.usage.max = 1e9;
let latencyMs = 0;
addLatency(org.server.server, () => latencyMs);
const app = org.setup!.newApps[0]!;
const res = await fetch(`${org.instanceUrl}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.consumerKey, client_secret: app.consumerSecret }) });
const token = ((await res.json()) as { access_token: string }).access_token;
const users = await org.store.db.selectFrom('users').select(['id', 'username']).execute();
const integration = users.find((u) => u.username.startsWith('integration'))!.id;
const admin = users.find((u) => u.username.startsWith('admin'))!.id;
console.log(JSON.stringify({ ready: true, instanceUrl: org.instanceUrl, token, consumerKey: app.consumerKey, consumerSecret: app.consumerSecret }));

let seeded = 0;
/** Bulk-loads accounts straight into the table (a data load, not API traffic); one in ten belongs to the admin, invisible to the integration user. */
async function seed(target: number): Promise<void> {
  const stamp = new Date().toISOString();
  while (seeded < target) {
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < 500 && seeded < target; i++, seeded++) {
      rows.push({
        Id: newRecordId('001'), OwnerId: seeded % 10 === 9 ? admin : integration, IsDeleted: 0, CreatedDate: stamp, CreatedById: integration,
        LastModifiedDate: stamp, LastModifiedById: integration, SystemModstamp: stamp, Name: `Account ${seeded}`, AccountNumber: `A-${seeded}`, Phone: `555-${String(seeded % 10000).padStart(4, '0')}`,
        Industry: 'Retail', Description: 'Seeded for the benchmark',
      });
    }
    await org.data.db.insertInto('sobj_account').values(rows).execute();
  }
  await sql`PRAGMA optimize`.execute(org.store.db).catch(() => undefined);
}

/** Orders with one item each, owned by the integration user, for the flows benchmark (a data load, not API traffic). */
async function seedOrders(count: number): Promise<void> {
  const stamp = new Date().toISOString();
  const base = { OwnerId: integration, IsDeleted: 0, CreatedDate: stamp, CreatedById: integration, LastModifiedDate: stamp, LastModifiedById: integration };
  const accountId = newRecordId('001');
  await org.data.db.insertInto('sobj_account').values({ Id: accountId, ...base, SystemModstamp: stamp, Name: 'Backfill Customer' }).execute();
  const start = Date.now() - count;
  for (let done = 0; done < count;) {
    const orders: Record<string, unknown>[] = [];
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < 500 && done < count; i++, done++) {
      const id = newRecordId('801');
      const modstamp = new Date(start + done).toISOString();
      orders.push({ Id: id, ...base, SystemModstamp: modstamp, AccountId: accountId, EffectiveDate: '2026-11-01', Status: 'Draft', OrderNumber: String(100000 + done).padStart(8, '0'), TotalAmount: 20 });
      items.push({ Id: newRecordId('802'), ...base, SystemModstamp: modstamp, OrderId: id, Quantity: 2, UnitPrice: 10, TotalPrice: 20, Description: `Backfill item ${done}` });
    }
    await org.data.db.insertInto('sobj_order').values(orders).execute();
    await org.data.db.insertInto('sobj_orderitem').values(items).execute();
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  const [command, arg] = line.trim().split(/\s+/);
  if (command === 'seed') {
    await seed(Number(arg));
    org.store.refreshStatistics();
    console.log(JSON.stringify({ seeded }));
  } else if (command === 'seed-orders') {
    await seedOrders(Number(arg));
    // What the org does after its own inserts (the seed writes the tables directly).
    org.store.refreshStatistics();
    console.log(JSON.stringify({ orders: Number(arg) }));
  } else if (command === 'latency') {
    latencyMs = Number(arg);
    console.log(JSON.stringify({ latencyMs }));
  } else if (command === 'quit') break;
}
await org.close();
process.exit(0);
