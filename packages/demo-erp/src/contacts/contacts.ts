import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { notFound } from '../problem.js';
import { nextValue } from '../store/database.js';
import { cursorPosition, feedPage, type FeedPage } from '../store/feed-page.js';
import type { ContactTable, ErpDatabase } from '../store/schema.js';

export const contactInput = z.object({
  email: z.email(),
  firstName: z.string().max(80).optional(),
  lastName: z.string().min(1).max(80),
  company: z.string().max(255).optional(),
  phone: z.string().max(40).optional(),
}).strict();
export type ContactInput = z.infer<typeof contactInput>;

export interface Contact { id: string; email: string; firstName: string | null; lastName: string; company: string | null; phone: string | null; createdAt: string; updatedAt: string }

export const toContact = (row: ContactTable): Contact => ({
  id: row.id, email: row.email, firstName: row.first_name, lastName: row.last_name, company: row.company, phone: row.phone, createdAt: row.created_at, updatedAt: row.updated_at,
});

export async function createContact(db: Kysely<ErpDatabase>, input: ContactInput, now = new Date()): Promise<Contact> {
  return db.transaction().execute(async (trx) => {
    const stamp = now.toISOString();
    const row: ContactTable = {
      id: `C-${randomUUID()}`, email: input.email, first_name: input.firstName ?? null, last_name: input.lastName, company: input.company ?? null, phone: input.phone ?? null,
      created_at: stamp, updated_at: stamp, seq: await nextValue(trx, 'contact_seq'),
    };
    await trx.insertInto('contacts').values(row).execute();
    return toContact(row);
  });
}

export async function updateContact(db: Kysely<ErpDatabase>, id: string, input: Partial<ContactInput>, now = new Date()): Promise<Contact> {
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst();
    if (!existing) throw notFound(`Contact ${id}`);
    const changes = {
      ...(input.email !== undefined ? { email: input.email } : {}),
      ...(input.firstName !== undefined ? { first_name: input.firstName } : {}),
      ...(input.lastName !== undefined ? { last_name: input.lastName } : {}),
      ...(input.company !== undefined ? { company: input.company } : {}),
      ...(input.phone !== undefined ? { phone: input.phone } : {}),
      updated_at: now.toISOString(),
      seq: await nextValue(trx, 'contact_seq'),
    };
    await trx.updateTable('contacts').set(changes).where('id', '=', id).execute();
    return toContact({ ...existing, ...changes });
  });
}

export async function getContact(db: Kysely<ErpDatabase>, id: string): Promise<Contact> {
  const row = await db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`Contact ${id}`);
  return toContact(row);
}

export type ContactPage = FeedPage<Contact>;

/**
 * The change feed. With a cursor (opaque; the position of the last change read) it returns every
 * change after it, each contact at its latest state, in order — nothing is skipped, even changes
 * made in the same millisecond. With updatedSince it returns contacts changed at or after that time,
 * for pollers that keep a timestamp watermark (they must dedupe by id and updatedAt).
 */
export async function contactChanges(db: Kysely<ErpDatabase>, options: { cursor?: string | undefined; updatedSince?: string | undefined; limit: number }): Promise<ContactPage> {
  let query = db.selectFrom('contacts').selectAll();
  if (options.cursor !== undefined) {
    query = query.where('seq', '>', cursorPosition(options.cursor)).orderBy('seq');
  } else if (options.updatedSince !== undefined) {
    query = query.where('updated_at', '>=', options.updatedSince).orderBy('updated_at').orderBy('id');
  } else query = query.orderBy('seq');
  return feedPage(await query.limit(options.limit + 1).execute(), options.limit, options.cursor, toContact);
}
