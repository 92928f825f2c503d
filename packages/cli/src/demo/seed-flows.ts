import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The seeds' flows, shipped with the hub package: contacts and orders (seed 002), and files both ways (seed 001). */
export const SEED_FLOWS = ['erp-contact-to-lead', 'crm-order-to-erp-sales-order', 'erp-invoice-to-order-file', 'order-files-to-erp'].map((name) => ({
  name,
  text: readFileSync(fileURLToPath(new URL(`../../../hub/flows/${name}.yaml`, import.meta.url)), 'utf8'),
}));
