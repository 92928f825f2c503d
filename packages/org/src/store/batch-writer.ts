import type { Insertable } from 'kysely';
import type { Store } from './database.js';
import type { AccessTokenTable, EventTable } from './schema.js';

type EventRow = Insertable<EventTable>;

interface Pending {
  accessToken?: AccessTokenTable | undefined;
  event?: EventRow | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

const MAX_BATCH = 400;
const TOKEN_COLUMNS = ['token_id', 'secret_hash', 'app_id', 'user_id', 'scopes', 'grant_id', 'issued_at', 'expires_at', 'revoked'] as const;
const EVENT_COLUMNS = ['at', 'kind', 'app_id', 'user_id', 'grant_type', 'address', 'outcome', 'detail'] as const;

/**
 * Group commit for the token endpoint's writes. Concurrent requests queue their rows; one
 * transaction writes everything queued so far, and each caller's promise resolves only after
 * that commit — so a token is durable before its response is sent, at a fraction of the cost
 * of one transaction per token.
 */
export class BatchWriter {
  #queue: Pending[] = [];
  #flushing: Promise<void> | undefined;
  readonly #write: (tokens: AccessTokenTable[], events: EventRow[]) => Promise<void>;

  constructor(store: Store) {
    this.#write = store.sqlite ? sqliteWriter(store, store.sqlite) : kyselyWriter(store);
  }

  write(rows: { accessToken?: AccessTokenTable | undefined; event?: EventRow | undefined }): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ ...rows, resolve, reject });
      if (!this.#flushing) this.#flushing = this.#drain();
    });
  }

  /** Waits until everything queued so far is written (used at shutdown). */
  async settle(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #drain(): Promise<void> {
    // Let the requests read in this turn of the event loop join the batch (measured: flushing on
    // a microtask instead makes batches of one and cuts throughput by two thirds).
    await new Promise<void>((r) => setImmediate(r));
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      try {
        await this.#write(batch.flatMap((p) => (p.accessToken ? [p.accessToken] : [])), batch.flatMap((p) => (p.event ? [p.event] : [])));
        for (const p of batch) p.resolve();
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
    this.#flushing = undefined;
  }
}

function kyselyWriter(store: Store) {
  return (tokens: AccessTokenTable[], events: EventRow[]) => store.db.transaction().execute(async (trx) => {
    if (tokens.length) await trx.insertInto('access_tokens').values(tokens).execute();
    if (events.length) await trx.insertInto('events').values(events).execute();
  });
}

/**
 * On SQLite, building and preparing one multi-row statement per batch cost ~45 µs a token;
 * statements prepared once and run in a native transaction cost a fraction of that. Parameters
 * are bound by position (named binding cost 0.6 µs more per row). The batch holds Kysely's
 * connection while it runs, so it never interleaves with a Kysely transaction.
 */
function sqliteWriter(store: Store, sqlite: NonNullable<Store['sqlite']>) {
  const insert = (table: string, columns: readonly string[]) => sqlite.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
  const insertToken = insert('access_tokens', TOKEN_COLUMNS);
  const insertEvent = insert('events', EVENT_COLUMNS);
  const writeAll = sqlite.transaction((tokens: AccessTokenTable[], events: EventRow[]) => {
    for (const t of tokens) insertToken.run(TOKEN_COLUMNS.map((c) => t[c]));
    for (const e of events) insertEvent.run(EVENT_COLUMNS.map((c) => e[c] ?? null));
  });
  return (tokens: AccessTokenTable[], events: EventRow[]) => store.db.connection().execute(async () => writeAll(tokens, events));
}
