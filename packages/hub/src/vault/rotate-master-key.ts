import type { Kysely } from 'kysely';
import type { HubDatabase } from '../store/schema.js';
import type { Vault } from './vault.js';

/**
 * Re-wraps every stored data key under the current master key, one row at a time, each in its
 * own short update: servers holding both the old and the new key keep reading throughout.
 */
export async function rotateMasterKey(db: Kysely<HubDatabase>, vault: Vault, progress: (done: number, total: number) => void = () => {}): Promise<number> {
  const rows = await db.selectFrom('connections').select(['id', 'secrets_sealed']).execute();
  let rewrapped = 0;
  for (const [i, row] of rows.entries()) {
    if (vault.isStale(row.secrets_sealed)) {
      const next = vault.rewrap(row.secrets_sealed, `connection:${row.id}:secrets`);
      await db.updateTable('connections').set({ secrets_sealed: next }).where('id', '=', row.id).where('secrets_sealed', '=', row.secrets_sealed).execute();
      rewrapped++;
    }
    progress(i + 1, rows.length);
  }
  return rewrapped;
}
