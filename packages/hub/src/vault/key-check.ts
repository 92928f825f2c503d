import type { Kysely } from 'kysely';
import type { HubDatabase } from '../store/schema.js';
import type { KeyRing } from './master-keys.js';
import type { Vault} from './vault.js';
import { VaultError } from './vault.js';

const CHECK_PLAINTEXT = 'handshake-master-key-check';
const context = (version: number) => `vault_key_check:${version}`;

/**
 * Proves at start-up that the configured master keys are the ones this database was sealed with:
 * each key version leaves a sealed check value the first time it is used. A wrong key stops the
 * hub with a clear error instead of letting it fail later, value by value.
 */
export async function checkMasterKeys(db: Kysely<HubDatabase>, ring: KeyRing, vault: Vault): Promise<void> {
  const checks = await db.selectFrom('vault_key_checks').selectAll().execute();
  for (const check of checks) {
    if (!ring.versions.includes(check.version)) continue;
    try {
      if (vault.open(check.check_sealed, context(check.version)).reveal() === CHECK_PLAINTEXT) continue;
    } catch (error) {
      if (!(error instanceof VaultError)) throw error;
    }
    throw new Error(`The master key configured as version ${check.version} is not the key this database was encrypted with. Check HANDSHAKE_MASTER_KEYS (nothing was changed).`);
  }
  const current = ring.current.version;
  if (!checks.some((c) => c.version === current)) {
    await db.insertInto('vault_key_checks').values({ version: current, check_sealed: vault.seal(CHECK_PLAINTEXT, context(current)) }).execute();
  }
}
