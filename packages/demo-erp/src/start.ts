import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { documentsFolder } from './documents/documents.js';
import { Faults } from './http/faults.js';
import { buildErpServer } from './http/server.js';
import { startIdp, type IdpClient } from './idp/identity-provider.js';
import { openErpStore, type ErpStore } from './store/database.js';

export interface ErpOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  databaseSchema?: string | undefined;
  host?: string;
  port?: number;
  idpPort?: number;
  /** The clients the IdP knows (the hub's, in the demo). */
  clients: IdpClient[];
  /** Enables POST /_faults (tests and demos only). */
  faults?: boolean;
  logger?: boolean;
  tokenTtlSeconds?: number;
}

export interface RunningErp {
  /** The API's base URL, also the audience its tokens carry. */
  url: string;
  issuer: string;
  tokenUrl: string;
  store: ErpStore;
  server: FastifyInstance;
  faults: Faults | undefined;
  close(): Promise<void>;
}

/** Starts the ERP's IdP, then its API; the API's URL (the tokens' audience) is known once it listens. */
export async function startErp(options: ErpOptions): Promise<RunningErp> {
  mkdirSync(options.dataDir, { recursive: true });
  const host = options.host ?? '127.0.0.1';
  const store = await openErpStore({ dataDir: options.dataDir, databaseUrl: options.databaseUrl, schema: options.databaseSchema });
  let url = '';
  const audience = () => url;
  // The IdP library's notices go to the ERP's own log (quiet unless it has one), not to the terminal.
  const notices: string[] = [];
  const idp = await startIdp({ host, ...(options.idpPort !== undefined ? { port: options.idpPort } : {}), audience, clients: options.clients, ...(options.tokenTtlSeconds ? { tokenTtlSeconds: options.tokenTtlSeconds } : {}), log: (line) => notices.push(line) });
  const faults = options.faults ? new Faults() : undefined;
  try {
    const server = await buildErpServer({ db: store.db, issuer: idp.issuer, tokenUrl: idp.tokenUrl, audience, faults, logger: options.logger ?? false, documentsFolder: documentsFolder(options.dataDir) });
    for (const notice of notices) server.log.warn(notice);
    await server.listen({ host, port: options.port ?? 0 });
    const address = server.server.address();
    url = `http://${host}:${typeof address === 'object' && address ? address.port : options.port}`;
    return {
      url, issuer: idp.issuer, tokenUrl: idp.tokenUrl, store, server, faults,
      close: async () => {
        await server.close();
        await idp.close();
        await store.close();
      },
    };
  } catch (error) {
    await idp.close();
    await store.close();
    throw error;
  }
}
