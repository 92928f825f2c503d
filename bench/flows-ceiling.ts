/**
 * The baseline for the flows benchmark: the script a competent engineer would write for the order
 * sync with no engine (no event store, no run records, no retries): it pages through the orders on
 * SystemModstamp with the items subquery, fetching the next page while the current one is sent,
 * and keeps `IN_FLIGHT` createSalesOrder calls in flight (10 by default). Prints records/s and CPU
 * per record. `CLIENT=undici` sends with undici's request API instead of fetch (the hub's client).
 */
import { request } from 'undici';

const { ORG_URL, ORG_TOKEN, ERP_URL, ERP_TOKEN, RECORDS, PREFIX, CLIENT = 'fetch' } = process.env as Record<string, string>;
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 10);
const total = Number(RECORDS);

interface Order { Id: string; SystemModstamp: string; EffectiveDate: string; Account: { Name: string }; OrderItems: { records: { Quantity: number; UnitPrice: number; Description: string }[] } | null }

async function page(cursor: { stamp: string; id: string }): Promise<Order[]> {
  const soql = `SELECT Id, SystemModstamp, OrderNumber, EffectiveDate, Status, Account.Name, (SELECT Id, Quantity, UnitPrice, Description FROM OrderItems) FROM Order WHERE (SystemModstamp > ${cursor.stamp} OR (SystemModstamp = ${cursor.stamp} AND Id > '${cursor.id}')) ORDER BY SystemModstamp, Id LIMIT 200`;
  const res = await fetch(`${ORG_URL}/services/data/v62.0/query?q=${encodeURIComponent(soql)}`, { headers: { authorization: `Bearer ${ORG_TOKEN}` } });
  return ((await res.json()) as { records: Order[] }).records;
}

async function send(order: Order): Promise<void> {
  const ref = `${PREFIX}-${order.Id}`;
  const body = { customer: order.Account.Name, externalRef: ref, orderDate: order.EffectiveDate, status: 'Open', lines: (order.OrderItems?.records ?? []).map((i) => ({ product: i.Description, quantity: i.Quantity, unitPrice: i.UnitPrice })) };
  const init = { method: 'POST' as const, headers: { authorization: `Bearer ${ERP_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': ref }, body: JSON.stringify(body) };
  if (CLIENT === 'undici') {
    const res = await request(`${ERP_URL}/sales-orders`, init);
    if (res.statusCode >= 300) throw new Error(`ERP answered ${res.statusCode}: ${await res.body.text()}`);
    return void (await res.body.dump());
  }
  const res = await fetch(`${ERP_URL}/sales-orders`, init);
  if (res.status >= 300) throw new Error(`ERP answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

const started = performance.now();
const cpuBefore = process.cpuUsage();
// The page reader keeps up to two pages queued ahead of the senders; IN_FLIGHT senders drain the
// queue. Both sides wait on promises (no polling timers), so the script spends CPU only on the work.
const queue: Order[] = [];
let fetched = 0;
let exhausted = false;
let done = 0;
const wakeSenders: (() => void)[] = [];
let wakeReader: (() => void) | undefined;
const reader = (async () => {
  let cursor = { stamp: '1970-01-01T00:00:00.000Z', id: '000000000000000' };
  while (fetched < total) {
    while (queue.length >= 400) await new Promise<void>((r) => { wakeReader = r; });
    const orders = (await page(cursor)).slice(0, total - fetched);
    if (orders.length === 0) break;
    const last = orders[orders.length - 1]!;
    cursor = { stamp: last.SystemModstamp.replace('+0000', 'Z'), id: last.Id };
    queue.push(...orders);
    fetched += orders.length;
    wakeSenders.splice(0).forEach((wake) => wake());
  }
  exhausted = true;
  wakeSenders.splice(0).forEach((wake) => wake());
})();
await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
  for (;;) {
    const order = queue.shift();
    if (queue.length < 400) wakeReader?.();
    if (order) {
      await send(order);
      done++;
    } else if (exhausted) return;
    else await new Promise<void>((r) => wakeSenders.push(r));
  }
}));
await reader;
const cpu = process.cpuUsage(cpuBefore);
console.log(JSON.stringify({ records: done, recordsPerSecond: done / ((performance.now() - started) / 1000), cpuMsPerRecord: (cpu.user + cpu.system) / 1000 / done }));
