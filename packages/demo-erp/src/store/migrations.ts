import type { Migration, Kysely } from 'kysely';

export function erpMigrations(): Record<string, Migration> {
  return {
    '0001_erp': {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('contacts')
          .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
          .addColumn('email', 'varchar(255)', (c) => c.notNull())
          .addColumn('first_name', 'varchar(80)')
          .addColumn('last_name', 'varchar(80)', (c) => c.notNull())
          .addColumn('company', 'varchar(255)')
          .addColumn('phone', 'varchar(40)')
          .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(30)', (c) => c.notNull())
          .addColumn('seq', 'bigint', (c) => c.notNull().unique()).execute();
        await db.schema.createIndex('contacts_updated').on('contacts').columns(['updated_at', 'id']).execute();

        await db.schema.createTable('sales_orders')
          .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
          .addColumn('number', 'varchar(20)', (c) => c.notNull().unique())
          .addColumn('customer', 'varchar(255)', (c) => c.notNull())
          .addColumn('external_ref', 'varchar(80)', (c) => c.unique())
          .addColumn('status', 'varchar(20)', (c) => c.notNull())
          .addColumn('order_date', 'varchar(10)', (c) => c.notNull())
          .addColumn('total_cents', 'bigint', (c) => c.notNull())
          .addColumn('created_at', 'varchar(30)', (c) => c.notNull()).execute();

        await db.schema.createTable('sales_order_lines')
          .addColumn('order_id', 'varchar(40)', (c) => c.notNull().references('sales_orders.id').onDelete('cascade'))
          .addColumn('line_no', 'integer', (c) => c.notNull())
          .addColumn('product', 'varchar(255)', (c) => c.notNull())
          .addColumn('quantity', 'double precision', (c) => c.notNull())
          .addColumn('unit_price_cents', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('sales_order_lines_pk', ['order_id', 'line_no']).execute();

        await db.schema.createTable('invoices')
          .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
          .addColumn('order_id', 'varchar(40)', (c) => c.notNull().unique().references('sales_orders.id'))
          .addColumn('number', 'varchar(20)', (c) => c.notNull().unique())
          .addColumn('amount_cents', 'bigint', (c) => c.notNull())
          .addColumn('created_at', 'varchar(30)', (c) => c.notNull()).execute();

        await db.schema.createTable('counters')
          .addColumn('name', 'varchar(40)', (c) => c.primaryKey())
          .addColumn('value', 'bigint', (c) => c.notNull()).execute();
        await db.insertInto('counters' as never).values([{ name: 'contact_seq', value: 0 }, { name: 'order_number', value: 10000 }, { name: 'invoice_number', value: 50000 }] as never).execute();

        await db.schema.createTable('idempotency_keys')
          .addColumn('key', 'varchar(255)', (c) => c.primaryKey())
          .addColumn('request_hash', 'varchar(64)', (c) => c.notNull())
          .addColumn('status', 'integer', (c) => c.notNull())
          .addColumn('response', 'text', (c) => c.notNull())
          .addColumn('created_at', 'varchar(30)', (c) => c.notNull()).execute();
      },
    },
    '0002_invoice_feed_and_documents': {
      async up(db: Kysely<unknown>) {
        // Invoices get a position in their change feed, as contacts have; existing ones in the order they were made.
        await db.schema.alterTable('invoices').addColumn('seq', 'bigint').execute();
        const existing = await db.selectFrom('invoices' as never).select(['id' as never]).orderBy('created_at' as never).orderBy('id' as never).execute() as { id: string }[];
        for (const [i, row] of existing.entries()) await db.updateTable('invoices' as never).set({ seq: i + 1 } as never).where('id' as never, '=', row.id as never).execute();
        await db.schema.createIndex('invoices_seq').on('invoices').column('seq').unique().execute();
        await db.insertInto('counters' as never).values({ name: 'invoice_seq', value: existing.length } as never).execute();

        // A sales order's documents: the bytes are a file in the data folder (blob), named by a random id, never by the document's name.
        await db.schema.createTable('sales_order_documents')
          .addColumn('order_id', 'varchar(40)', (c) => c.notNull().references('sales_orders.id').onDelete('cascade'))
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('content_type', 'varchar(255)', (c) => c.notNull())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
          .addColumn('blob', 'varchar(64)', (c) => c.notNull())
          .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(30)', (c) => c.notNull())
          .addPrimaryKeyConstraint('sales_order_documents_pk', ['order_id', 'name']).execute();
      },
    },
  };
}
