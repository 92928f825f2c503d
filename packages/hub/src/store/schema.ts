import type { Generated } from 'kysely';

/** Row types of the hub's store: times are epoch milliseconds, lists and objects JSON text. */
export interface VaultKeyCheckTable { version: number; check_sealed: string }

export interface ConnectionTable {
  id: string;
  name: string;
  description: string | null;
  app: string;
  method: string;
  /** Non-secret settings (instance URL, token URL, client id…), JSON. */
  config: string;
  /** Every secret field of the connection, sealed as one JSON object by the vault. */
  secrets_sealed: string;
  /** SHA-256 of the sealed blob: tells a caller the credentials changed without showing them. */
  credentials_hash: string;
  status: string;
  status_reason: string | null;
  last_tested_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface ApiKeyTable {
  id: string;
  name: string;
  secret_hash: string;
  scopes: string;
  created_at: number;
  last_used_at: number | null;
  revoked: number;
}

export interface AuditTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  outcome: string;
  detail: string | null;
}

/** An authorization in progress: the state sent to the IdP and the PKCE verifier, single use. */
export interface OAuthStateTable {
  state_hash: string;
  connection_id: string;
  verifier_sealed: string;
  redirect_uri: string;
  expires_at: number;
}

export interface HubDatabase {
  oauth_states: OAuthStateTable;
  vault_key_checks: VaultKeyCheckTable;
  connections: ConnectionTable;
  api_keys: ApiKeyTable;
  audit: AuditTable;
}
