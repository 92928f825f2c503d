/**
 * The demo's traffic: new ERP contacts and new CRM orders with items, at a steady pace; the ERP
 * invoices each order once it has it, and every third order gets a delivery note attached in
 * Salesforce, so the four flows always have something to do. Everything goes through the
 * systems' public APIs.
 */
export interface Traffic { contacts: number; orders: number; invoices: number; files: number; errors: number; stop(): void }

/** How long after an order is made the ERP invoices it (the order flow has synced it by then). */
const INVOICE_AFTER_MS = 8000;

export function startTraffic(options: {
  erpUrl: string;
  erpToken: () => Promise<string>;
  orgUrl: string;
  orgToken: () => Promise<string>;
  contactEveryMs: number;
  orderEveryMs: number;
}): Traffic {
  const traffic: Traffic = { contacts: 0, orders: 0, invoices: 0, files: 0, errors: 0, stop: () => undefined };
  const toInvoice: { orderId: string; at: number }[] = [];
  let accountId: string | undefined;
  const sf = async <T = { id: string }>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${options.orgUrl}/services/data/v62.0${path}`, { method, headers: { authorization: `Bearer ${await options.orgToken()}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (!res.ok) throw new Error(`org answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  };
  // The customer the orders belong to, found by its account number on later starts (seeding is idempotent).
  const customer = async () => {
    const found = await sf<{ records: { Id: string }[] }>('GET', `/query?q=${encodeURIComponent("SELECT Id FROM Account WHERE AccountNumber = 'DEMO-1' LIMIT 1")}`);
    return found.records[0]?.Id ?? (await sf('POST', '/sobjects/Account', { Name: 'Demo Customer', AccountNumber: 'DEMO-1' })).id;
  };
  const erp = async (path: string, body?: unknown) => fetch(`${options.erpUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await options.erpToken()}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const contact = async () => {
    const n = traffic.contacts + 1;
    const res = await erp('/contacts', { email: `contact${Date.now()}-${n}@erp.demo`, firstName: 'Demo', lastName: `Contact ${n}`, company: n % 4 ? `Company ${n % 17}` : undefined });
    if (!res.ok) throw new Error(`ERP answered ${res.status}`);
    traffic.contacts++;
  };
  const invoice = async () => {
    while (toInvoice[0] && toInvoice[0].at <= Date.now()) {
      const { orderId } = toInvoice.shift()!;
      // By its externalRef, the Salesforce Order Id; a 404 is an order not synced (yet): left alone.
      const res = await erp(`/sales-orders/eid:${orderId}/invoice`);
      if (res.ok) traffic.invoices++;
      else if (res.status !== 404) throw new Error(`ERP answered ${res.status}`);
    }
  };
  // A delivery note on the order, as a person attaches a file in Salesforce (multipart, as the REST API takes a ContentVersion).
  const attachNote = async (orderId: string) => {
    const form = new FormData();
    form.set('entity_content', new Blob([JSON.stringify({ Title: 'Delivery note', PathOnClient: 'delivery-note.txt', FirstPublishLocationId: orderId })], { type: 'application/json' }));
    form.set('VersionData', new Blob([`Delivery note for order ${orderId}\nMade by the Handshake demo at ${new Date().toISOString()}\n`], { type: 'text/plain' }), 'delivery-note.txt');
    const res = await fetch(`${options.orgUrl}/services/data/v62.0/sobjects/ContentVersion`, { method: 'POST', headers: { authorization: `Bearer ${await options.orgToken()}` }, body: form });
    if (!res.ok) throw new Error(`org answered ${res.status}: ${await res.text()}`);
    traffic.files++;
  };
  const order = async () => {
    accountId ??= await customer();
    const created = await sf('POST', '/sobjects/Order', { AccountId: accountId, EffectiveDate: new Date().toISOString().slice(0, 10), Status: 'Draft' });
    await sf('POST', '/composite/sobjects', { allOrNone: true, records: [1, 2].map((i) => ({ attributes: { type: 'OrderItem' }, OrderId: created.id, Quantity: i, UnitPrice: 10 * i, Description: `Demo item ${i}` })) });
    traffic.orders++;
    toInvoice.push({ orderId: created.id, at: Date.now() + INVOICE_AFTER_MS });
    if (traffic.orders % 3 === 0) await attachNote(created.id);
  };
  const every = (ms: number, job: () => Promise<void>) => setInterval(() => job().catch(() => traffic.errors++), ms);
  const timers = [every(options.contactEveryMs, contact), every(options.orderEveryMs, order), every(options.orderEveryMs, invoice)];
  traffic.stop = () => timers.forEach(clearInterval);
  return traffic;
}
