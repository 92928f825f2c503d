export { startErp, type ErpOptions, type RunningErp } from './start.js';
export { openApiDocument } from './http/openapi.js';
export type { Contact, ContactInput } from './contacts/contacts.js';
export type { SalesOrder, SalesOrderInput } from './sales-orders/sales-orders.js';
export { countSalesOrders, findSalesOrders } from './sales-orders/sales-orders.js';
export { ERP_SCOPES } from './idp/identity-provider.js';
