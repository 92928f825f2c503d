import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import { ErpProblem, notFound } from '../problem.js';
import { salesOrderRow } from '../sales-orders/sales-orders.js';
import type { ErpDatabase, SalesOrderDocumentTable } from '../store/schema.js';

/** The media types a document may have (what an ERP keeps beside an order: PDFs, images, office files, plain bytes). */
export const DOCUMENT_TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'text/plain', 'text/csv', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/octet-stream'] as const;

/** The largest document taken; the bytes are written to disk as they arrive, so this bounds disk, not memory. */
export const MAX_DOCUMENT_BYTES = 200 * 1024 * 1024;

/** A file name as it is shown, never a path: letters, digits, spaces and `._()-`, not starting with a dot. */
const DOCUMENT_NAME = /^[\p{L}\p{N}_(][\p{L}\p{N} ._()-]{0,199}$/u;

export interface SalesOrderDocument { orderId: string; name: string; contentType: string; size: number; sha256: string; createdAt: string; updatedAt: string }

const toDocument = (r: SalesOrderDocumentTable): SalesOrderDocument => ({ orderId: r.order_id, name: r.name, contentType: r.content_type, size: Number(r.size), sha256: r.sha256, createdAt: r.created_at, updatedAt: r.updated_at });

/** Where a data folder keeps document bytes. */
export const documentsFolder = (dataDir: string) => join(dataDir, 'documents');

function checkName(name: string): void {
  if (!DOCUMENT_NAME.test(name)) throw new ErpProblem(400, 'Bad Request', `document name ${JSON.stringify(name.slice(0, 80))} is not allowed: up to 200 letters, digits, spaces and ._()- , not starting with a dot`, [{ path: 'path.name', message: 'not a document name' }]);
}

/** Counts and hashes the bytes going through, and stops the stream when there are more than `max`. */
function measured(max: number) {
  const hash = createHash('sha256');
  let size = 0;
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > max) return done(new ErpProblem(413, 'Content Too Large', `the document is over ${max} bytes`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { transform, result: () => ({ size, sha256: hash.digest('hex') }) };
}

/**
 * Stores a document under an order (its id, or `eid:` and its externalRef): the body is written to
 * a new file as it arrives and counted and hashed on the way, then the row points at it. Putting a
 * name again replaces the document (PUT semantics), so a retried upload leaves one document.
 */
export async function putDocument(db: Kysely<ErpDatabase>, folder: string, orderRef: string, name: string, contentType: string, body: Readable, maxBytes = MAX_DOCUMENT_BYTES): Promise<{ document: SalesOrderDocument; created: boolean }> {
  checkName(name);
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (!(DOCUMENT_TYPES as readonly string[]).includes(type)) throw new ErpProblem(415, 'Unsupported Media Type', `a document is one of ${DOCUMENT_TYPES.join(', ')}; this one is ${type || 'untyped'}`);
  const order = await salesOrderRow(db, orderRef);
  mkdirSync(folder, { recursive: true });
  const blob = randomUUID();
  const path = join(folder, blob);
  const measure = measured(maxBytes);
  try {
    await pipeline(body, measure.transform, createWriteStream(path, { flags: 'wx' }));
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  const { size, sha256 } = measure.result();
  const stamp = new Date().toISOString();
  let replaced: string | undefined;
  try {
    const row = await db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('sales_order_documents').selectAll().where('order_id', '=', order.id).where('name', '=', name).executeTakeFirst();
      const values: SalesOrderDocumentTable = { order_id: order.id, name, content_type: type, size, sha256, blob, created_at: existing?.created_at ?? stamp, updated_at: stamp };
      if (existing) {
        replaced = existing.blob;
        await trx.updateTable('sales_order_documents').set(values).where('order_id', '=', order.id).where('name', '=', name).execute();
      } else await trx.insertInto('sales_order_documents').values(values).execute();
      return { values, created: !existing };
    });
    if (replaced) await rm(join(folder, replaced), { force: true });
    return { document: toDocument(row.values), created: row.created };
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}

export async function listDocuments(db: Kysely<ErpDatabase>, orderRef: string): Promise<SalesOrderDocument[]> {
  const order = await salesOrderRow(db, orderRef);
  const rows = await db.selectFrom('sales_order_documents').selectAll().where('order_id', '=', order.id).orderBy('name').execute();
  return rows.map(toDocument);
}

/** A document's description and its bytes, read from disk as they are sent. */
export async function openDocument(db: Kysely<ErpDatabase>, folder: string, orderRef: string, name: string): Promise<{ document: SalesOrderDocument; bytes: Readable }> {
  checkName(name);
  const order = await salesOrderRow(db, orderRef);
  const row = await db.selectFrom('sales_order_documents').selectAll().where('order_id', '=', order.id).where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound(`Document ${name} of sales order ${order.id}`);
  return { document: toDocument(row), bytes: createReadStream(join(folder, row.blob)) };
}
