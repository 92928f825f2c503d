import { createHash } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { contactChanges, contactInput, createContact, getContact, updateContact } from '../contacts/contacts.js';
import type { Readable } from 'node:stream';
import { listDocuments, openDocument, putDocument } from '../documents/documents.js';
import { invoiceChanges, invoiceOrder, invoicePdf } from '../invoices/invoices.js';
import { ErpProblem, sendProblem } from '../problem.js';
import { createSalesOrder, createSalesOrders, findSalesOrders, getSalesOrder, salesOrderInput } from '../sales-orders/sales-orders.js';
import type { ErpDatabase } from '../store/schema.js';
import { bearerVerifier } from './authentication.js';
import { faultSpec, type Faults } from './faults.js';
import { openApiDocument } from './openapi.js';

export interface ErpServerOptions {
  db: Kysely<ErpDatabase>;
  issuer: string;
  tokenUrl: string;
  /** This API's URL: the audience its tokens must carry. */
  audience: () => string;
  faults?: Faults | undefined;
  logger?: boolean;
  /** Where document bytes are kept. */
  documentsFolder: string;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const errors = result.error.issues.map((i) => ({ path: [where, ...i.path].join('.'), message: i.message }));
    throw new ErpProblem(400, 'Bad Request', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
  }
  return result.data;
}

const limitParam = (max: number) => z.coerce.number().int().min(1).max(max).optional();

export async function buildErpServer(options: ErpServerOptions): Promise<FastifyInstance> {
  // Path parameters up to 300 characters, so an over-long document name is refused by name (400), not as an unknown route.
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 5 * 1024 * 1024, routerOptions: { maxParamLength: 300 } });
  const { db } = options;
  const verify = bearerVerifier(options.issuer, options.audience);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ErpProblem) return sendProblem(reply, error);
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, new ErpProblem(status, status === 500 ? 'Internal Server Error' : 'Bad Request', status === 500 ? 'an unexpected error occurred' : error.message));
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, new ErpProblem(404, 'Not Found', `no such endpoint: ${request.method} ${request.url.split('?')[0]}`)));

  app.get('/openapi.json', async () => openApiDocument(options.audience(), options.tokenUrl));
  if (options.faults) {
    const faults = options.faults;
    app.post('/_faults', async (request) => {
      faults.set(parse(faultSpec, request.body, 'body'));
      return { ok: true };
    });
  }

  // Faults first (a failing server fails before it checks anything), then the token.
  const guard = (scope: 'erp.read' | 'erp.write') => async (request: FastifyRequest, reply: FastifyReply) => {
    if (options.faults && (await options.faults.apply(reply, request.method, request.url))) return reply;
    await verify(request, scope);
    return undefined;
  };

  app.post('/contacts', { preHandler: guard('erp.write') }, async (request, reply) => reply.code(201).send(await createContact(db, parse(contactInput, request.body, 'body'))));
  app.get<{ Querystring: Record<string, string> }>('/contacts/changes', { preHandler: guard('erp.read') }, async (request) => {
    const q = parse(z.object({ cursor: z.string().optional(), updatedSince: z.iso.datetime({ offset: true }).optional(), limit: limitParam(1000) }).strict(), request.query, 'query');
    return contactChanges(db, { cursor: q.cursor, updatedSince: q.updatedSince ? new Date(q.updatedSince).toISOString() : undefined, limit: q.limit ?? 100 });
  });
  app.get<{ Params: { id: string } }>('/contacts/:id', { preHandler: guard('erp.read') }, async (request) => getContact(db, request.params.id));
  app.patch<{ Params: { id: string } }>('/contacts/:id', { preHandler: guard('erp.write') }, async (request) => updateContact(db, request.params.id, parse(contactInput.partial(), request.body, 'body')));

  app.get<{ Querystring: Record<string, string> }>('/sales-orders', { preHandler: guard('erp.read') }, async (request) => {
    const q = parse(z.object({ externalRef: z.string().optional(), after: z.string().optional(), limit: limitParam(500) }).strict(), request.query, 'query');
    return findSalesOrders(db, { externalRef: q.externalRef, after: q.after, limit: q.limit ?? 100 });
  });
  app.post('/sales-orders', { preHandler: guard('erp.write') }, async (request, reply) => {
    const input = parse(salesOrderInput, request.body, 'body');
    const key = request.headers['idempotency-key'];
    const run = async () => {
      const { order, created } = await createSalesOrder(db, input);
      return { status: created ? 201 : 200, body: order };
    };
    if (typeof key !== 'string' || key === '') {
      const { status, body } = await run();
      return reply.code(status).send(body);
    }
    // An Idempotency-Key replays the first answer; the same key with another body is a mistake.
    const hash = createHash('sha256').update(JSON.stringify(request.body)).digest('hex');
    const seen = await db.selectFrom('idempotency_keys').selectAll().where('key', '=', key).executeTakeFirst();
    if (seen) {
      if (seen.request_hash !== hash) throw new ErpProblem(422, 'Unprocessable Content', 'this Idempotency-Key was used with a different request body');
      return reply.code(seen.status).header('idempotent-replayed', 'true').send(JSON.parse(seen.response));
    }
    const { status, body } = await run();
    await db.insertInto('idempotency_keys').values({ key, request_hash: hash, status, response: JSON.stringify(body), created_at: new Date().toISOString() }).onConflict((oc) => oc.column('key').doNothing()).execute();
    return reply.code(status).send(body);
  });
  app.post('/sales-orders/batch', { preHandler: guard('erp.write') }, async (request) => {
    // Each order is checked on its own: a bad one gets an error in its result, the others are created.
    const { orders } = parse(z.object({ orders: z.array(z.unknown()).max(200) }).strict(), request.body, 'body');
    return createSalesOrders(db, orders);
  });
  app.get<{ Params: { id: string } }>('/sales-orders/:id', { preHandler: guard('erp.read') }, async (request) => getSalesOrder(db, request.params.id));
  app.post<{ Params: { id: string } }>('/sales-orders/:id/invoice', { preHandler: guard('erp.write') }, async (request, reply) => {
    const { invoice, created } = await invoiceOrder(db, request.params.id);
    return reply.code(created ? 201 : 200).send(invoice);
  });
  app.get<{ Querystring: Record<string, string> }>('/invoices/changes', { preHandler: guard('erp.read') }, async (request) => {
    const q = parse(z.object({ cursor: z.string().optional(), limit: limitParam(1000) }).strict(), request.query, 'query');
    return invoiceChanges(db, { cursor: q.cursor, limit: q.limit ?? 100 });
  });
  app.get<{ Params: { id: string } }>('/sales-orders/:id/documents', { preHandler: guard('erp.read') }, async (request) => listDocuments(db, request.params.id));
  app.get<{ Params: { id: string; name: string } }>('/sales-orders/:id/documents/:name', { preHandler: guard('erp.read') }, async (request, reply) => {
    const { document, bytes } = await openDocument(db, options.documentsFolder, request.params.id, request.params.name);
    return reply.type(document.contentType).header('content-length', document.size).header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(document.name)}`).send(bytes);
  });
  // Document bodies are streamed to disk, never parsed or buffered: in this plugin every content
  // type reaches the handler as the request stream (putDocument checks the type and the size).
  await app.register(async (documents) => {
    documents.removeAllContentTypeParsers();
    documents.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    documents.put<{ Params: { id: string; name: string } }>('/sales-orders/:id/documents/:name', { preHandler: guard('erp.write') }, async (request, reply) => {
      if (!request.body) throw new ErpProblem(400, 'Bad Request', 'a document upload needs a body (the file\'s bytes)');
      const { document, created } = await putDocument(db, options.documentsFolder, request.params.id, request.params.name, request.headers['content-type'] ?? '', request.body as Readable);
      return reply.code(created ? 201 : 200).send(document);
    });
  });
  app.get<{ Params: { id: string } }>('/invoices/:id/pdf', { preHandler: guard('erp.read') }, async (request, reply) => reply.type('application/pdf').send(Buffer.from(await invoicePdf(db, request.params.id))));
  return app;
}
