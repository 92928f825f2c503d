/**
 * The ceiling for the flows benchmark: a minimal hand-written script that makes the same API calls
 * as the order flow (SOQL pages on SystemModstamp with the items subquery, then one createSalesOrder
 * per order) with no engine: no event store, no run records, no retries. Prints records/s.
 */
const { ORG_URL, ORG_TOKEN, ERP_URL, ERP_TOKEN, RECORDS } = process.env as Record<string, string>;
const total = Number(RECORDS);
const started = performance.now();
const cpuBefore = process.cpuUsage();
let cursor = { stamp: '1970-01-01T00:00:00.000Z', id: '000000000000000' };
let done = 0;
while (done < total) {
  const soql = `SELECT Id, SystemModstamp, OrderNumber, EffectiveDate, Status, Account.Name, (SELECT Id, Quantity, UnitPrice, Description FROM OrderItems) FROM Order WHERE (SystemModstamp > ${cursor.stamp} OR (SystemModstamp = ${cursor.stamp} AND Id > '${cursor.id}')) ORDER BY SystemModstamp, Id LIMIT 200`;
  const page = (await (await fetch(`${ORG_URL}/services/data/v62.0/query?q=${encodeURIComponent(soql)}`, { headers: { authorization: `Bearer ${ORG_TOKEN}` } })).json()) as { records: { Id: string; SystemModstamp: string; EffectiveDate: string; Account: { Name: string }; OrderItems: { records: { Quantity: number; UnitPrice: number; Description: string }[] } | null }[] };
  if (page.records.length === 0) break;
  for (const order of page.records) {
    const body = { customer: order.Account.Name, externalRef: `ceiling-${order.Id}`, orderDate: order.EffectiveDate, status: 'Open', lines: (order.OrderItems?.records ?? []).map((i) => ({ product: i.Description, quantity: i.Quantity, unitPrice: i.UnitPrice })) };
    const res = await fetch(`${ERP_URL}/sales-orders`, { method: 'POST', headers: { authorization: `Bearer ${ERP_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': `ceiling-${order.Id}` }, body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`ERP answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
    done++;
  }
  const last = page.records[page.records.length - 1]!;
  cursor = { stamp: last.SystemModstamp.replace('+0000', 'Z'), id: last.Id };
}
const cpu = process.cpuUsage(cpuBefore);
console.log(JSON.stringify({ records: done, recordsPerSecond: done / ((performance.now() - started) / 1000), cpuMsPerRecord: (cpu.user + cpu.system) / 1000 / done }));
