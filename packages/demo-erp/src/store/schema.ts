/** The ERP's tables. Times are ISO strings; money is in cents (integers), as ERPs keep it. */
export interface ContactTable {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string;
  company: string | null;
  phone: string | null;
  created_at: string;
  updated_at: string;
  /** Position in the change feed: every create or update takes the next one. */
  seq: number;
}

export interface SalesOrderTable {
  id: string;
  number: string;
  customer: string;
  /** The caller's reference (e.g. the CRM order id): creating twice with one reference gives one order. */
  external_ref: string | null;
  status: string;
  order_date: string;
  total_cents: number;
  created_at: string;
}

export interface SalesOrderLineTable {
  order_id: string;
  line_no: number;
  product: string;
  quantity: number;
  unit_price_cents: number;
}

export interface InvoiceTable {
  id: string;
  order_id: string;
  number: string;
  amount_cents: number;
  created_at: string;
  /** Position in the invoice feed. */
  seq: number;
}

export interface SalesOrderDocumentTable {
  order_id: string;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
  /** The file holding the bytes, under the data folder's documents/. */
  blob: string;
  created_at: string;
  updated_at: string;
}

export interface CounterTable { name: string; value: number }

export interface IdempotencyTable { key: string; request_hash: string; status: number; response: string; created_at: string }

export interface ErpDatabase {
  contacts: ContactTable;
  sales_orders: SalesOrderTable;
  sales_order_lines: SalesOrderLineTable;
  invoices: InvoiceTable;
  sales_order_documents: SalesOrderDocumentTable;
  counters: CounterTable;
  idempotency_keys: IdempotencyTable;
}
