import type { Generated } from 'kysely';

/**
 * Row types of the org's store. Times are epoch milliseconds, booleans 0/1 and lists JSON text,
 * so that one schema means the same on SQLite and PostgreSQL.
 */
export interface OrgSettingTable { key: string; value: string }

export interface UserTable {
  id: string;
  username: string;
  email: string;
  first_name: string | null;
  last_name: string;
  licence: string;
  profile: string;
  active: number;
  password_hash: string | null;
  created_at: number;
  updated_at: number;
}

export interface PermissionSetTable {
  id: string;
  name: string;
  label: string;
  description: string | null;
  object_permissions: string;
  field_permissions: string;
  system_permissions: string;
}

export interface PermissionSetAssignmentTable { user_id: string; permission_set_id: string }
export interface PermissionSetLicenceAssignmentTable { user_id: string; licence: string }

export interface SharingSettingTable { object_name: string; default_access: string; rules: string }

export interface AppTable {
  id: string;
  api_name: string;
  name: string;
  contact_email: string;
  callback_urls: string;
  scopes: string;
  flows: string;
  require_secret: number;
  require_pkce: number;
  run_as_user_id: string | null;
  refresh_token_policy: string;
  refresh_token_rotation: number;
  access_token_ttl_seconds: number;
  certificate: string | null;
  /** JSON: { policy, profiles, permissionSets } */
  permitted_users: string;
  require_secret_refresh: number;
  require_secret_exchange: number;
  created_at: number;
  updated_at: number;
}

/** One consumer key and secret. A consumer (consumer_id) has a primary pair and at most one staged pair. */
export interface AppConsumerTable {
  id: string;
  consumer_id: string;
  /** 'primary' or 'staged'. */
  role: string;
  app_id: string;
  consumer_key: string;
  secret_hash: string;
  secret_sealed: string;
  state: string;
  created_at: number;
  expires_at: number | null;
}

export interface AccessTokenTable {
  /** The token's selector: time-ordered, so new rows append to the end of the index. */
  token_id: string;
  /** SHA-256 of the token's secret part, compared in constant time. */
  secret_hash: string;
  app_id: string;
  user_id: string;
  scopes: string;
  grant_id: string | null;
  issued_at: number;
  expires_at: number;
  revoked: number;
}

export interface RefreshTokenTable {
  token_hash: string;
  grant_id: string;
  app_id: string;
  user_id: string;
  scopes: string;
  issued_at: number;
  last_used_at: number;
  expires_at: number | null;
  rotated_at: number | null;
  successor_sealed: string | null;
  revoked: number;
}

export interface AuthorizationCodeTable {
  code_hash: string;
  app_id: string;
  user_id: string;
  redirect_uri: string;
  scopes: string;
  code_challenge: string | null;
  code_challenge_method: string | null;
  grant_id: string;
  expires_at: number;
  used_at: number | null;
}

export interface EventTable {
  id: Generated<number>;
  at: number;
  kind: string;
  app_id: string | null;
  user_id: string | null;
  grant_type: string | null;
  address: string | null;
  outcome: string;
  detail: string | null;
}

/** Custom objects, and custom fields on standard objects, as declared in setup. */
export interface DataObjectTable { name: string; key_prefix: string; definition: string }

/** A Bulk API 2.0 job; `result_sizes` is JSON: bytes of each result file that belong to committed rows. */
export interface BulkJobTable {
  id: string;
  /** 2.0 ingest or query jobs; a 1.0 (classic) job, and each of its batches. */
  kind: 'ingest' | 'query' | 'classic' | 'batch';
  operation: string;
  object: string;
  external_id_field: string | null;
  query: string | null;
  parent_id: string | null;
  state: string;
  created_by: string;
  api_version: string;
  line_ending: string;
  column_delimiter: string;
  uploads: number;
  data_key: string | null;
  rows_done: number;
  records_processed: number;
  records_failed: number;
  result_sizes: string;
  error_message: string | null;
  processing_ms: number;
  created_at: number;
  updated_at: number;
}

/** A Change Data Capture event: the change event JSON, before field-level security trims it per subscriber. */
export interface ChangeEventTable { replay_id: Generated<number>; entity: string; created_at: number; event: string }

export interface OrgDatabase {
  org_settings: OrgSettingTable;
  users: UserTable;
  permission_sets: PermissionSetTable;
  permission_set_assignments: PermissionSetAssignmentTable;
  permission_set_licence_assignments: PermissionSetLicenceAssignmentTable;
  sharing_settings: SharingSettingTable;
  apps: AppTable;
  app_consumers: AppConsumerTable;
  access_tokens: AccessTokenTable;
  refresh_tokens: RefreshTokenTable;
  authorization_codes: AuthorizationCodeTable;
  events: EventTable;
  data_objects: DataObjectTable;
  bulk_jobs: BulkJobTable;
  change_events: ChangeEventTable;
}
