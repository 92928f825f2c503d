import { sql, type Kysely } from 'kysely';
import type { HubDatabase } from './schema.js';

/** How long a readiness probe waits for the store before calling it unreachable. */
const PROBE_TIMEOUT_MS = 2000;

/** Whether the store answers a trivial query within PROBE_TIMEOUT_MS; the error, if not (for the log). */
export async function storeReachable(db: Kysely<HubDatabase>): Promise<{ ok: true } | { ok: false; error: Error }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([sql`SELECT 1`.execute(db), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error as Error };
  } finally {
    clearTimeout(timer);
  }
}
