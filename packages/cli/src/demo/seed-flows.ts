import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The seeds' two flows, shipped with the hub package. */
export const SEED_FLOWS = ['erp-contact-to-lead', 'crm-order-to-erp-sales-order'].map((name) => ({
  name,
  text: readFileSync(fileURLToPath(new URL(`../../../hub/flows/${name}.yaml`, import.meta.url)), 'utf8'),
}));
