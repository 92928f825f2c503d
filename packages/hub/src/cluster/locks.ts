import pg from 'pg';

/**
 * Cluster-wide exclusive work on PostgreSQL advisory locks, held on one connection of this process's
 * own. The database ends a session's locks when the session ends, so a process that dies (SIGKILL,
 * power loss) releases what it held at once, with no lease of ours to time out.
 */
export class ClusterLocks {
  readonly #held = new Set<string>();
  #client: pg.Client | undefined;
  #connecting: Promise<pg.Client> | undefined;

  /** `namespace` keeps hubs that share one database in different schemas apart. */
  constructor(private readonly connectionString: string, private readonly namespace: string, private readonly log: (message: string) => void) {}

  /** Runs `work` unless this or another process holds `name`; resolves undefined when it did not run. */
  async tryHold<T>(name: string, work: () => Promise<T>): Promise<T | undefined> {
    if (this.#held.has(name)) return undefined;
    this.#held.add(name);
    try {
      const client = await this.#session();
      const key = `${this.namespace}:${name}`;
      const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS got', [key]);
      if (!rows[0]?.got) return undefined;
      try {
        return await work();
      } finally {
        // A lost session has released the lock already.
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(() => undefined);
      }
    } finally {
      this.#held.delete(name);
    }
  }

  #session(): Promise<pg.Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.connectionString });
      // A lost session (the database restarted) takes its locks with it; the next call opens another.
      client.on('error', (error) => {
        this.log(`cluster lock session lost: ${error.message}`);
        if (this.#client === client) this.#client = undefined;
      });
      client.on('end', () => {
        if (this.#client === client) this.#client = undefined;
      });
      try {
        await client.connect();
      } finally {
        this.#connecting = undefined;
      }
      this.#client = client;
      return client;
    })();
    return this.#connecting;
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
