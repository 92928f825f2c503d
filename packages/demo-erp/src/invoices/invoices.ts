import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { notFound } from '../problem.js';
import { nextValue } from '../store/database.js';
import type { ErpDatabase } from '../store/schema.js';
import { getSalesOrder } from '../sales-orders/sales-orders.js';

export interface Invoice { id: string; orderId: string; number: string; amount: number; createdAt: string }

/** Invoices a sales order (once: invoicing it again returns the same invoice). */
export async function invoiceOrder(db: Kysely<ErpDatabase>, orderId: string, now = new Date()): Promise<{ invoice: Invoice; created: boolean }> {
  const order = await getSalesOrder(db, orderId);
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('invoices').selectAll().where('order_id', '=', orderId).executeTakeFirst();
    const toInvoice = (r: NonNullable<typeof existing>): Invoice => ({ id: r.id, orderId: r.order_id, number: r.number, amount: Number(r.amount_cents) / 100, createdAt: r.created_at });
    if (existing) return { invoice: toInvoice(existing), created: false };
    const row = { id: `INV-${randomUUID()}`, order_id: orderId, number: `INV${await nextValue(trx, 'invoice_number')}`, amount_cents: Math.round(order.total * 100), created_at: now.toISOString() };
    await trx.insertInto('invoices').values(row).execute();
    return { invoice: toInvoice(row), created: true };
  });
}

/** The invoice as a PDF document, generated on request from the order it bills. */
export async function invoicePdf(db: Kysely<ErpDatabase>, invoiceId: string): Promise<Uint8Array> {
  const row = await db.selectFrom('invoices').selectAll().where('id', '=', invoiceId).executeTakeFirst();
  if (!row) throw notFound(`Invoice ${invoiceId}`);
  const order = await getSalesOrder(db, row.order_id);
  const pdf = await PDFDocument.create();
  pdf.setTitle(`Invoice ${row.number}`);
  pdf.setCreationDate(new Date(row.created_at));
  pdf.setModificationDate(new Date(row.created_at));
  const page = pdf.addPage([595, 842]);
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  let y = 780;
  const line = (text: string, size = 11) => {
    page.drawText(text, { x: 50, y, size, font });
    y -= size + 8;
  };
  line(`Invoice ${row.number}`, 20);
  line(`Sales order ${order.number} for ${order.customer}, dated ${order.orderDate}`);
  for (const l of order.lines) line(`${l.lineNo}. ${l.product}: ${l.quantity} x ${l.unitPrice.toFixed(2)}`);
  line(`Total: ${(Number(row.amount_cents) / 100).toFixed(2)}`, 14);
  return pdf.save({ useObjectStreams: false });
}
