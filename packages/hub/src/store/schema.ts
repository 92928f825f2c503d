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
  /** When the key stops working (epoch ms), or null for never. */
  expires_at: number | null;
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

/** An external auth identity provider: where and how client credentials tokens are obtained. */
export interface IdentityProviderTable {
  id: string;
  name: string;
  token_url: string;
  client_id: string;
  /** TokenParam[] as JSON: custom parameters (audience…) in the body or as headers. */
  params: string;
  secret_sealed: string;
  created_at: number;
}

/** An external credential: a protocol, its secrets or identity provider, and its principals. */
export interface ExternalCredentialTable {
  id: string;
  name: string;
  protocol: string;
  identity_provider_id: string | null;
  /** Basic or custom-header secrets, sealed; null for OAuth through an identity provider. */
  secrets_sealed: string | null;
  /** Non-secret settings (username, header names), JSON. */
  config: string;
  /** [{ name, grantedTo: API key names }] as JSON. */
  principals: string;
  created_at: number;
}

/** A named credential: a base URL and the external credential that signs calls to it. */
export interface NamedCredentialTable {
  id: string;
  name: string;
  base_url: string;
  external_credential_id: string;
  principal: string;
  created_at: number;
}

/** Who uses a connection (flows register here), so it can be listed and protected from deletion. */
export interface ConnectionUsageTable {
  connection_id: string;
  consumer_type: string;
  consumer_id: string;
  consumer_name: string;
  created_at: number;
}

/** When and how a connection's consumer secret is rotated, and how the last rotation went. */
export interface RotationPolicyTable {
  connection_id: string;
  admin_connection_id: string;
  interval_hours: number;
  /** HH:MM, UTC. */
  time_of_day: string;
  grace_seconds: number;
  webhook_url: string | null;
  status: string;
  status_reason: string | null;
  last_rotated_at: number | null;
  next_rotation_at: number;
}

/** One rotation: its current step and what it needs to resume after a crash. */
export interface RotationTable {
  id: string;
  connection_id: string;
  status: string;
  step: string;
  app_id: string | null;
  consumer_id: string | null;
  old_key: string | null;
  staged_id: string | null;
  staged_key: string | null;
  staged_secret_sealed: string | null;
  grace_until: number | null;
  error: string | null;
  started_at: number;
  updated_at: number;
}

/** An OpenAPI-described service registered with a named credential; its operations become actions. */
export interface ExternalServiceTable { id: string; name: string; named_credential: string; spec: string; version: number; updated_at: number }

export interface FlowTable {
  id: string; name: string; definition: string; status: string; created_at: number; updated_at: number;
  /** The API key that saved it: the flow runs as that key, so it reaches only the principals granted to it (null: saved by the hub's own operator, from a flows folder or the demo). */
  saved_by: string | null;
}
export interface FlowCursorTable { flow_id: string; cursor: string; updated_at: number }

/** A change a trigger found: pending until an action run succeeds (done) or gives up (dead). */
export interface FlowEventTable {
  id: string;
  flow_id: string;
  /** Record id + modstamp (or the feed's own key): the same change is never queued twice. */
  dedupe_key: string;
  /** The record this event is a version of: events of one record run one at a time, in order. */
  record_key: string | null;
  /** The claim of the worker running it (its next_attempt_at is then the claim's expiry), or null. */
  claim: string | null;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  /** Who sent it (a webhook's caller, as its policies or API key showed); null for polled events. */
  caller?: string | null;
}

export interface FlowRunTable { id: string; flow_id: string; event_id: string; status: string; attempt: number; steps: string; error: string | null; started_at: number; duration_ms: number }

export interface UserTable { id: string; username: string; display_name: string; password_hash: string; role: string; manage_connections: number; disabled: number; created_at: number }
export interface SessionTable { id_hash: string; user_id: string; created_at: number; last_seen_at: number }

export interface FlowVersionTable { flow_id: string; version: number; text: string; saved_by: string; saved_at: number }

export interface SharedTokenTable { key: string; token_sealed: string; token_hash: string; refresh_at: number | null; updated_at: number }

export interface HubDatabase {
  shared_tokens: SharedTokenTable;
  flow_versions: FlowVersionTable;
  users: UserTable;
  sessions: SessionTable;
  external_services: ExternalServiceTable;
  flows: FlowTable;
  flow_cursors: FlowCursorTable;
  flow_events: FlowEventTable;
  flow_runs: FlowRunTable;
  rotation_policies: RotationPolicyTable;
  rotations: RotationTable;
  connection_usages: ConnectionUsageTable;
  identity_providers: IdentityProviderTable;
  external_credentials: ExternalCredentialTable;
  named_credentials: NamedCredentialTable;
  oauth_states: OAuthStateTable;
  vault_key_checks: VaultKeyCheckTable;
  connections: ConnectionTable;
  api_keys: ApiKeyTable;
  audit: AuditTable;
}
