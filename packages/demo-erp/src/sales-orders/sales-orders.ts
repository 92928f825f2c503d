import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { ErpProblem, notFound } from '../problem.js';
import { nextValue } from '../store/database.js';
import type { ErpDatabase, SalesOrderTable } from '../store/schema.js';

const money = z.number().nonnegative().multipleOf(0.01).max(1e12);

export const salesOrderInput = z.object({
  customer: z.string().min(1).max(255),
  externalRef: z.string().min(1).max(80).optional(),
  orderDate: z.iso.date(),
  status: z.enum(['Draft', 'Open', 'Fulfilled']).default('Open'),
  lines: z.array(z.object({
    product: z.string().min(1).max(255),
    quantity: z.number().positive().max(1e9),
    unitPrice: money,
  }).strict()).min(1).max(500),
}).strict();
export type SalesOrderInput = z.infer<typeof salesOrderInput>;

export interface SalesOrder {
  id: string;
  number: string;
  customer: string;
  externalRef: string | null;
  status: string;
  orderDate: string;
  total: number;
  lines: { lineNo: number; product: string; quantity: number; unitPrice: number }[];
  createdAt: string;
}

const cents = (amount: number) => Math.round(amount * 100);

async function load(db: Kysely<ErpDatabase> | Transaction<ErpDatabase>, order: SalesOrderTable): Promise<SalesOrder> {
  const lines = await db.selectFrom('sales_order_lines').selectAll().where('order_id', '=', order.id).orderBy('line_no').execute();
  return {
    id: order.id, number: order.number, customer: order.customer, externalRef: order.external_ref, status: order.status, orderDate: order.order_date,
    total: Number(order.total_cents) / 100, createdAt: order.created_at,
    lines: lines.map((l) => ({ lineNo: l.line_no, product: l.product, quantity: l.quantity, unitPrice: Number(l.unit_price_cents) / 100 })),
  };
}

/**
 * Creates a sales order with its lines, all or nothing. An order whose externalRef already exists
 * is not created again: the existing one is returned with created = false, so a caller that retries
 * after a crash or a timeout gets exactly one order.
 */
export async function createSalesOrder(db: Kysely<ErpDatabase>, input: SalesOrderInput, now = new Date()): Promise<{ order: SalesOrder; created: boolean }> {
  return db.transaction().execute((trx) => insertSalesOrder(trx, input, now));
}

async function insertSalesOrder(trx: Transaction<ErpDatabase>, input: SalesOrderInput, now: Date): Promise<{ order: SalesOrder; created: boolean }> {
  {
    if (input.externalRef) {
      const existing = await trx.selectFrom('sales_orders').selectAll().where('external_ref', '=', input.externalRef).executeTakeFirst();
      if (existing) return { order: await load(trx, existing), created: false };
    }
    const row: SalesOrderTable = {
      id: `SO-${randomUUID()}`,
      number: `SO${await nextValue(trx, 'order_number')}`,
      customer: input.customer,
      external_ref: input.externalRef ?? null,
      status: input.status,
      order_date: input.orderDate,
      total_cents: input.lines.reduce((sum, l) => sum + Math.round(cents(l.unitPrice) * l.quantity), 0),
      created_at: now.toISOString(),
    };
    await trx.insertInto('sales_orders').values(row).execute();
    await trx.insertInto('sales_order_lines').values(input.lines.map((l, i) => ({ order_id: row.id, line_no: i + 1, product: l.product, quantity: l.quantity, unit_price_cents: cents(l.unitPrice) }))).execute();
    return { order: await load(trx, row), created: true };
  }
}

export const MAX_BATCH = 200;

export type BatchResult = { order: SalesOrder; created: boolean } | { error: { status: number; title: string; detail: string } };

/**
 * Several orders in one call, in one transaction, each validated on its own and created (or found by
 * externalRef), in order: an invalid order is refused in its own result and the others are created.
 * A batch costs a handful of statements, whatever its size.
 */
export async function createSalesOrders(db: Kysely<ErpDatabase>, inputs: unknown[], now = new Date()): Promise<BatchResult[]> {
  if (inputs.length > MAX_BATCH) throw new ErpProblem(400, 'Bad Request', `a batch holds at most ${MAX_BATCH} orders (got ${inputs.length})`);
  const parsed = inputs.map((raw) => salesOrderInput.safeParse(raw));
  const refs = [...new Set(parsed.flatMap((p) => (p.success && p.data.externalRef ? [p.data.externalRef] : [])))];
  return db.transaction().execute(async (trx) => {
    const byRef = new Map<string, { order: SalesOrder; created: boolean }>();
    if (refs.length) {
      for (const row of await trx.selectFrom('sales_orders').selectAll().where('external_ref', 'in', refs).execute()) byRef.set(row.external_ref!, { order: await load(trx, row), created: false });
    }
    // One number per valid order, reserved at once (an order found by its externalRef leaves a gap).
    const valid = parsed.filter((p) => p.success).length;
    let number = valid ? Number((await trx.updateTable('counters').set((eb) => ({ value: eb('value', '+', valid) })).where('name', '=', 'order_number').returning('value').executeTakeFirstOrThrow()).value) - valid : 0;
    const rows: SalesOrderTable[] = [];
    const lines: { order_id: string; line_no: number; product: string; quantity: number; unit_price_cents: number }[] = [];
    const results = parsed.map((p, i): BatchResult => {
      if (!p.success) return { error: { status: 400, title: 'Bad Request', detail: p.error.issues.map((issue) => `orders.${i}.${issue.path.join('.')}: ${issue.message}`).join('; ') } };
      const input = p.data;
      const seen = input.externalRef ? byRef.get(input.externalRef) : undefined;
      if (seen) return { order: seen.order, created: false };
      const row: SalesOrderTable = {
        id: `SO-${randomUUID()}`, number: `SO${++number}`, customer: input.customer, external_ref: input.externalRef ?? null, status: input.status, order_date: input.orderDate,
        total_cents: input.lines.reduce((sum, l) => sum + Math.round(cents(l.unitPrice) * l.quantity), 0), created_at: now.toISOString(),
      };
      rows.push(row);
      input.lines.forEach((l, n) => lines.push({ order_id: row.id, line_no: n + 1, product: l.product, quantity: l.quantity, unit_price_cents: cents(l.unitPrice) }));
      const order: SalesOrder = {
        id: row.id, number: row.number, customer: row.customer, externalRef: row.external_ref, status: row.status, orderDate: row.order_date, total: row.total_cents / 100, createdAt: row.created_at,
        lines: input.lines.map((l, n) => ({ lineNo: n + 1, product: l.product, quantity: l.quantity, unitPrice: cents(l.unitPrice) / 100 })),
      };
      // A second order with the same externalRef in this batch is the first one.
      if (input.externalRef) byRef.set(input.externalRef, { order, created: false });
      return { order, created: true };
    });
    for (let i = 0; i < rows.length; i += 100) await trx.insertInto('sales_orders').values(rows.slice(i, i + 100)).execute();
    for (let i = 0; i < lines.length; i += 100) await trx.insertInto('sales_order_lines').values(lines.slice(i, i + 100)).execute();
    return results;
  });
}

/**
 * An order's row by its id, or by its externalRef written `eid:REF` (as NetSuite's REST API names
 * records by external id), so a caller that knows only its own id needs no lookup first.
 */
export async function salesOrderRow(db: Kysely<ErpDatabase>, id: string): Promise<SalesOrderTable> {
  const byRef = id.startsWith('eid:');
  const row = await db.selectFrom('sales_orders').selectAll().where(byRef ? 'external_ref' : 'id', '=', byRef ? id.slice(4) : id).executeTakeFirst();
  if (!row) throw notFound(byRef ? `Sales order with externalRef ${id.slice(4)}` : `Sales order ${id}`);
  return row;
}

export async function getSalesOrder(db: Kysely<ErpDatabase>, id: string): Promise<SalesOrder> {
  return load(db, await salesOrderRow(db, id));
}

export async function findSalesOrders(db: Kysely<ErpDatabase>, filter: { externalRef?: string | undefined; limit: number; after?: string | undefined }): Promise<SalesOrder[]> {
  let query = db.selectFrom('sales_orders').selectAll().orderBy('id').limit(filter.limit);
  if (filter.externalRef !== undefined) query = query.where('external_ref', '=', filter.externalRef);
  if (filter.after !== undefined) query = query.where('id', '>', filter.after);
  const rows = await query.execute();
  return Promise.all(rows.map((r) => load(db, r)));
}

export async function countSalesOrders(db: Kysely<ErpDatabase>): Promise<number> {
  const row = await db.selectFrom('sales_orders').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
