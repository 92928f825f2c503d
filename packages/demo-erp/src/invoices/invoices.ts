import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { notFound } from '../problem.js';
import { cursorPosition, feedPage, type FeedPage } from '../store/feed-page.js';
import { nextValue } from '../store/database.js';
import type { ErpDatabase, InvoiceTable } from '../store/schema.js';
import { getSalesOrder } from '../sales-orders/sales-orders.js';

export interface Invoice {
  id: string;
  orderId: string;
  /** The invoiced order's externalRef (the CRM's order id), so a feed reader can find its own record. */
  orderExternalRef: string | null;
  number: string;
  amount: number;
  createdAt: string;
}

type InvoiceRow = InvoiceTable & { external_ref: string | null };
const toInvoice = (r: InvoiceRow): Invoice => ({ id: r.id, orderId: r.order_id, orderExternalRef: r.external_ref, number: r.number, amount: Number(r.amount_cents) / 100, createdAt: r.created_at });

const withOrderRef = (db: Kysely<ErpDatabase>) => db.selectFrom('invoices').innerJoin('sales_orders', 'sales_orders.id', 'invoices.order_id').selectAll('invoices').select('sales_orders.external_ref');

/** Invoices a sales order (once: invoicing it again returns the same invoice). */
export async function invoiceOrder(db: Kysely<ErpDatabase>, orderId: string, now = new Date()): Promise<{ invoice: Invoice; created: boolean }> {
  const order = await getSalesOrder(db, orderId);
  return db.transaction().execute(async (trx) => {
    const existing = await withOrderRef(trx).where('order_id', '=', order.id).executeTakeFirst();
    if (existing) return { invoice: toInvoice(existing), created: false };
    const row: InvoiceTable = { id: `INV-${randomUUID()}`, order_id: order.id, number: `INV${await nextValue(trx, 'invoice_number')}`, amount_cents: Math.round(order.total * 100), created_at: now.toISOString(), seq: await nextValue(trx, 'invoice_seq') };
    await trx.insertInto('invoices').values(row).execute();
    return { invoice: toInvoice({ ...row, external_ref: order.externalRef }), created: true };
  });
}

/** New invoices after a cursor (opaque; the position of the last one read), oldest first: the feed a hub polls. */
export async function invoiceChanges(db: Kysely<ErpDatabase>, options: { cursor?: string | undefined; limit: number }): Promise<FeedPage<Invoice>> {
  const after = options.cursor === undefined ? 0 : cursorPosition(options.cursor);
  const rows = await withOrderRef(db).where('invoices.seq', '>', after).orderBy('invoices.seq').limit(options.limit + 1).execute();
  return feedPage(rows, options.limit, options.cursor, toInvoice);
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
