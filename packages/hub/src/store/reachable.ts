import { sql, type Kysely } from 'kysely';
import type { HubDatabase } from './schema.js';

/** How long a readiness probe waits for an answer before calling it unreachable. */
const PROBE_TIMEOUT_MS = 2000;

export type Reachability = { ok: true } | { ok: false; error: Error };

/** Whether `probe` answers within PROBE_TIMEOUT_MS; the error, if not (for the log). */
export async function answers(probe: () => Promise<unknown>): Promise<Reachability> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error as Error };
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the store answers a trivial query in time. */
export function storeReachable(db: Kysely<HubDatabase>): Promise<Reachability> {
  return answers(() => sql`SELECT 1`.execute(db));
}
