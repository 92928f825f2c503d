/**
 * The demo's traffic: new ERP contacts and new CRM orders with items, at a steady pace, so the
 * two flows always have something to do. Everything goes through the systems' public APIs.
 */
export interface Traffic { contacts: number; orders: number; errors: number; stop(): void }

export function startTraffic(options: {
  erpUrl: string;
  erpToken: () => Promise<string>;
  orgUrl: string;
  orgToken: () => Promise<string>;
  contactEveryMs: number;
  orderEveryMs: number;
}): Traffic {
  const traffic: Traffic = { contacts: 0, orders: 0, errors: 0, stop: () => undefined };
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
  const contact = async () => {
    const n = traffic.contacts + 1;
    const res = await fetch(`${options.erpUrl}/contacts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await options.erpToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: `contact${Date.now()}-${n}@erp.demo`, firstName: 'Demo', lastName: `Contact ${n}`, company: n % 4 ? `Company ${n % 17}` : undefined }),
    });
    if (!res.ok) throw new Error(`ERP answered ${res.status}`);
    traffic.contacts++;
  };
  const order = async () => {
    accountId ??= await customer();
    const created = await sf('POST', '/sobjects/Order', { AccountId: accountId, EffectiveDate: new Date().toISOString().slice(0, 10), Status: 'Draft' });
    await sf('POST', '/composite/sobjects', { allOrNone: true, records: [1, 2].map((i) => ({ attributes: { type: 'OrderItem' }, OrderId: created.id, Quantity: i, UnitPrice: 10 * i, Description: `Demo item ${i}` })) });
    traffic.orders++;
  };
  const every = (ms: number, job: () => Promise<void>) => setInterval(() => job().catch(() => traffic.errors++), ms);
  const timers = [every(options.contactEveryMs, contact), every(options.orderEveryMs, order)];
  traffic.stop = () => timers.forEach(clearInterval);
  return traffic;
}
