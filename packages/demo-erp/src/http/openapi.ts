import { DOCUMENT_TYPES, MAX_DOCUMENT_BYTES } from '../documents/documents.js';

/** The ERP's OpenAPI 3 description, served at /openapi.json; the hub registers its operations as actions. */
export function openApiDocument(serverUrl: string, tokenUrl: string) {
  const json = (schema: object) => ({ 'application/json': { schema } });
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const problem = { description: 'A problem (RFC 9457)', content: { 'application/problem+json': { schema: ref('Problem') } } };
  const errors = { 400: problem, 401: problem, 403: problem, 404: problem, 429: problem, 500: problem };
  const read = [{ clientCredentials: ['erp.read'] }];
  const write = [{ clientCredentials: ['erp.write'] }];
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const orderId = { ...id, description: 'the order\'s id, or `eid:` followed by its externalRef' };
  const documentName = { name: 'name', in: 'path', required: true, schema: { type: 'string', maxLength: 200 }, description: 'the file name, e.g. INV50001.pdf: letters, digits, spaces and ._()- , not starting with a dot' };
  const file = Object.fromEntries(DOCUMENT_TYPES.map((type) => [type, { schema: { type: 'string', format: 'binary' } }]));
  return {
    openapi: '3.0.3',
    info: { title: 'Handshake demo ERP', version: '1.0.0', description: 'Contacts, sales orders and invoices. Every call needs an access token for this API from its IdP (client credentials with `resource` set to the server URL).' },
    servers: [{ url: serverUrl }],
    security: read,
    paths: {
      '/contacts': {
        post: { operationId: 'createContact', summary: 'Create a contact', security: write, requestBody: { required: true, content: json(ref('ContactInput')) }, responses: { 201: { description: 'Created', content: json(ref('Contact')) }, ...errors } },
      },
      '/contacts/changes': {
        get: {
          operationId: 'listContactChanges', summary: 'Contacts changed after a cursor or since a time, oldest change first', security: read,
          parameters: [
            { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page' },
            { name: 'updatedSince', in: 'query', schema: { type: 'string', format: 'date-time' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
          ],
          responses: { 200: { description: 'A page of changes', content: json({ type: 'object', required: ['items', 'nextCursor', 'hasMore'], properties: { items: { type: 'array', items: ref('Contact') }, nextCursor: { type: 'string', nullable: true }, hasMore: { type: 'boolean' } } }) }, ...errors },
        },
      },
      '/contacts/{id}': {
        get: { operationId: 'getContact', security: read, parameters: [id], responses: { 200: { description: 'The contact', content: json(ref('Contact')) }, ...errors } },
        patch: { operationId: 'updateContact', security: write, parameters: [id], requestBody: { required: true, content: json(ref('ContactPatch')) }, responses: { 200: { description: 'Updated', content: json(ref('Contact')) }, ...errors } },
      },
      '/sales-orders': {
        get: { operationId: 'findSalesOrders', security: read, parameters: [{ name: 'externalRef', in: 'query', schema: { type: 'string' } }, { name: 'after', in: 'query', schema: { type: 'string' } }, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } }], responses: { 200: { description: 'Orders', content: json({ type: 'array', items: ref('SalesOrder') }) }, ...errors } },
        post: {
          operationId: 'createSalesOrder', summary: 'Create a sales order (idempotent by externalRef or Idempotency-Key)', security: write,
          parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 255 } }],
          requestBody: { required: true, content: json(ref('SalesOrderInput')) },
          responses: { 201: { description: 'Created', content: json(ref('SalesOrder')) }, 200: { description: 'Already there (same externalRef)', content: json(ref('SalesOrder')) }, ...errors },
          // Handshake runs queued orders through the batch operation: one result per item, in order.
          'x-handshake-batch': { operationId: 'createSalesOrders', itemsField: 'orders', resultField: 'order' },
        },
      },
      '/sales-orders/batch': {
        post: { operationId: 'createSalesOrders', summary: 'Create up to 200 sales orders', security: write, requestBody: { required: true, content: json({ type: 'object', required: ['orders'], properties: { orders: { type: 'array', maxItems: 200, items: ref('SalesOrderInput') } } }) }, responses: { 200: { description: 'One result per order, in order: the order, or the reason it was refused', content: json({ type: 'array', items: { type: 'object', properties: { created: { type: 'boolean' }, order: ref('SalesOrder'), error: { type: 'object', properties: { status: { type: 'integer' }, title: { type: 'string' }, detail: { type: 'string' } } } } } }) }, ...errors } },
      },
      '/sales-orders/{id}': { get: { operationId: 'getSalesOrder', security: read, parameters: [orderId], responses: { 200: { description: 'The order', content: json(ref('SalesOrder')) }, ...errors } } },
      '/sales-orders/{id}/invoice': { post: { operationId: 'invoiceSalesOrder', security: write, parameters: [orderId], responses: { 201: { description: 'Invoiced', content: json(ref('Invoice')) }, 200: { description: 'Already invoiced', content: json(ref('Invoice')) }, ...errors } } },
      '/sales-orders/{id}/documents': { get: { operationId: 'listSalesOrderDocuments', security: read, parameters: [orderId], responses: { 200: { description: 'The order\'s documents', content: json({ type: 'array', items: ref('Document') }) }, ...errors } } },
      '/sales-orders/{id}/documents/{name}': {
        get: { operationId: 'getSalesOrderDocument', security: read, parameters: [orderId, documentName], responses: { 200: { description: 'The document\'s bytes', content: file }, ...errors } },
        put: {
          operationId: 'putSalesOrderDocument', summary: `Store a document under an order (up to ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB; putting a name again replaces it)`, security: write,
          parameters: [orderId, documentName], requestBody: { required: true, content: file },
          responses: { 201: { description: 'Stored', content: json(ref('Document')) }, 200: { description: 'Replaced', content: json(ref('Document')) }, 413: problem, 415: problem, ...errors },
        },
      },
      '/invoices/changes': {
        get: {
          operationId: 'listInvoiceChanges', summary: 'Invoices made after a cursor, oldest first', security: read,
          parameters: [{ name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page' }, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } }],
          responses: { 200: { description: 'A page of invoices', content: json({ type: 'object', required: ['items', 'nextCursor', 'hasMore'], properties: { items: { type: 'array', items: ref('Invoice') }, nextCursor: { type: 'string', nullable: true }, hasMore: { type: 'boolean' } } }) }, ...errors },
        },
      },
      '/invoices/{id}/pdf': { get: { operationId: 'getInvoicePdf', security: read, parameters: [id], responses: { 200: { description: 'The invoice as a PDF', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } }, ...errors } } },
    },
    components: {
      securitySchemes: { clientCredentials: { type: 'oauth2', flows: { clientCredentials: { tokenUrl, scopes: { 'erp.read': 'Read contacts, orders and invoices', 'erp.write': 'Create and change them' } } } } },
      schemas: {
        ContactInput: { type: 'object', additionalProperties: false, required: ['email', 'lastName'], properties: { email: { type: 'string', format: 'email' }, firstName: { type: 'string', maxLength: 80 }, lastName: { type: 'string', minLength: 1, maxLength: 80 }, company: { type: 'string', maxLength: 255 }, phone: { type: 'string', maxLength: 40 } } },
        ContactPatch: { type: 'object', additionalProperties: false, properties: { email: { type: 'string', format: 'email' }, firstName: { type: 'string', maxLength: 80 }, lastName: { type: 'string', minLength: 1, maxLength: 80 }, company: { type: 'string', maxLength: 255 }, phone: { type: 'string', maxLength: 40 } } },
        Contact: { type: 'object', required: ['id', 'email', 'lastName', 'createdAt', 'updatedAt'], properties: { id: { type: 'string' }, email: { type: 'string' }, firstName: { type: 'string', nullable: true }, lastName: { type: 'string' }, company: { type: 'string', nullable: true }, phone: { type: 'string', nullable: true }, createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' } } },
        SalesOrderLineInput: { type: 'object', additionalProperties: false, required: ['product', 'quantity', 'unitPrice'], properties: { product: { type: 'string' }, quantity: { type: 'number', exclusiveMinimum: true, minimum: 0 }, unitPrice: { type: 'number', minimum: 0 } } },
        SalesOrderInput: { type: 'object', additionalProperties: false, required: ['customer', 'orderDate', 'lines'], properties: { customer: { type: 'string' }, externalRef: { type: 'string', maxLength: 80 }, orderDate: { type: 'string', format: 'date' }, status: { type: 'string', enum: ['Draft', 'Open', 'Fulfilled'] }, lines: { type: 'array', minItems: 1, maxItems: 500, items: ref('SalesOrderLineInput') } } },
        SalesOrder: { type: 'object', required: ['id', 'number', 'customer', 'status', 'orderDate', 'total', 'lines'], properties: { id: { type: 'string' }, number: { type: 'string' }, customer: { type: 'string' }, externalRef: { type: 'string', nullable: true }, status: { type: 'string' }, orderDate: { type: 'string', format: 'date' }, total: { type: 'number' }, createdAt: { type: 'string', format: 'date-time' }, lines: { type: 'array', items: { type: 'object', properties: { lineNo: { type: 'integer' }, product: { type: 'string' }, quantity: { type: 'number' }, unitPrice: { type: 'number' } } } } } },
        Invoice: { type: 'object', required: ['id', 'orderId', 'number', 'amount'], properties: { id: { type: 'string' }, orderId: { type: 'string' }, orderExternalRef: { type: 'string', nullable: true, description: 'the invoiced order\'s externalRef' }, number: { type: 'string' }, amount: { type: 'number' }, createdAt: { type: 'string', format: 'date-time' } } },
        Document: { type: 'object', required: ['orderId', 'name', 'contentType', 'size', 'sha256'], properties: { orderId: { type: 'string' }, name: { type: 'string' }, contentType: { type: 'string' }, size: { type: 'integer' }, sha256: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' } } },
        Problem: { type: 'object', required: ['title', 'status'], properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } } } },
      },
    },
  };
}
