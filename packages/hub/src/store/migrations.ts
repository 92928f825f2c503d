import type { Dialect } from '@handshake/storage';
import { sql, type Kysely, type Migration } from 'kysely';

/** The hub's schema, one migration per release; run by @handshake/storage. */
export function hubMigrations(dialect: Dialect): Record<string, Migration> {
  const time = 'bigint' as const;
  return {
    '0011_event_caller': {
      async up(db: Kysely<unknown>) {
        // Who sent a webhook, as the inbound policies found (which automated actor did what).
        await db.schema.alterTable('flow_events').addColumn('caller', 'varchar(300)').execute();
      },
    },
    '0010_shared_tokens': {
      async up(db: Kysely<unknown>) {
        // Cluster mode's token cache: sealed, and found by a hash when a token is refused.
        await db.schema.createTable('shared_tokens')
          .addColumn('key', 'varchar(300)', (c) => c.primaryKey())
          .addColumn('token_sealed', 'text', (c) => c.notNull())
          .addColumn('token_hash', 'varchar(64)', (c) => c.notNull())
          .addColumn('refresh_at', time)
          .addColumn('updated_at', time, (c) => c.notNull()).execute();
      },
    },
    '0001_vault_connections_keys_audit': {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('vault_key_checks')
          .addColumn('version', 'integer', (c) => c.primaryKey())
          .addColumn('check_sealed', 'text', (c) => c.notNull()).execute();

        await db.schema.createTable('connections')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('name', 'varchar(100)', (c) => c.notNull().unique())
          .addColumn('description', 'text')
          .addColumn('app', 'varchar(40)', (c) => c.notNull())
          .addColumn('method', 'varchar(60)', (c) => c.notNull())
          .addColumn('config', 'text', (c) => c.notNull())
          .addColumn('secrets_sealed', 'text', (c) => c.notNull())
          .addColumn('credentials_hash', 'varchar(64)', (c) => c.notNull())
          .addColumn('status', 'varchar(20)', (c) => c.notNull())
          .addColumn('status_reason', 'text')
          .addColumn('last_tested_at', time)
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull()).execute();

        await db.schema.createTable('connection_usages')
          .addColumn('connection_id', 'varchar(36)', (c) => c.notNull().references('connections.id').onDelete('cascade'))
          .addColumn('consumer_type', 'varchar(40)', (c) => c.notNull())
          .addColumn('consumer_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('consumer_name', 'varchar(200)', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addPrimaryKeyConstraint('connection_usages_pk', ['connection_id', 'consumer_type', 'consumer_id']).execute();

        await db.schema.createTable('oauth_states')
          .addColumn('state_hash', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('connection_id', 'varchar(36)', (c) => c.notNull().references('connections.id').onDelete('cascade'))
          .addColumn('verifier_sealed', 'text', (c) => c.notNull())
          .addColumn('redirect_uri', 'text', (c) => c.notNull())
          .addColumn('expires_at', time, (c) => c.notNull()).execute();

        await db.schema.createTable('identity_providers')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('name', 'varchar(100)', (c) => c.notNull().unique())
          .addColumn('token_url', 'text', (c) => c.notNull())
          .addColumn('client_id', 'text', (c) => c.notNull())
          .addColumn('params', 'text', (c) => c.notNull())
          .addColumn('secret_sealed', 'text', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull()).execute();

        await db.schema.createTable('external_credentials')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('name', 'varchar(100)', (c) => c.notNull().unique())
          .addColumn('protocol', 'varchar(40)', (c) => c.notNull())
          .addColumn('identity_provider_id', 'varchar(36)', (c) => c.references('identity_providers.id'))
          .addColumn('secrets_sealed', 'text')
          .addColumn('config', 'text', (c) => c.notNull())
          .addColumn('principals', 'text', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull()).execute();

        await db.schema.createTable('named_credentials')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('name', 'varchar(100)', (c) => c.notNull().unique())
          .addColumn('base_url', 'text', (c) => c.notNull())
          .addColumn('external_credential_id', 'varchar(36)', (c) => c.notNull().references('external_credentials.id'))
          .addColumn('principal', 'varchar(100)', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull()).execute();

        await db.schema.createTable('rotation_policies')
          .addColumn('connection_id', 'varchar(36)', (c) => c.primaryKey().references('connections.id').onDelete('cascade'))
          .addColumn('admin_connection_id', 'varchar(36)', (c) => c.notNull().references('connections.id'))
          .addColumn('interval_hours', 'integer', (c) => c.notNull())
          .addColumn('time_of_day', 'varchar(5)', (c) => c.notNull())
          .addColumn('grace_seconds', 'integer', (c) => c.notNull())
          .addColumn('webhook_url', 'text')
          .addColumn('status', 'varchar(20)', (c) => c.notNull())
          .addColumn('status_reason', 'text')
          .addColumn('last_rotated_at', time)
          .addColumn('next_rotation_at', time, (c) => c.notNull()).execute();

        await db.schema.createTable('rotations')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('connection_id', 'varchar(36)', (c) => c.notNull().references('connections.id').onDelete('cascade'))
          .addColumn('status', 'varchar(20)', (c) => c.notNull())
          .addColumn('step', 'varchar(20)', (c) => c.notNull())
          .addColumn('app_id', 'varchar(18)')
          .addColumn('consumer_id', 'varchar(18)')
          .addColumn('old_key', 'text')
          .addColumn('staged_id', 'varchar(18)')
          .addColumn('staged_key', 'text')
          .addColumn('staged_secret_sealed', 'text')
          .addColumn('grace_until', time)
          .addColumn('error', 'text')
          .addColumn('started_at', time, (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull()).execute();

        await db.schema.createTable('api_keys')
          .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
          .addColumn('name', 'varchar(100)', (c) => c.notNull())
          .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('last_used_at', time)
          .addColumn('revoked', 'integer', (c) => c.notNull()).execute();

        await db.schema.createTable('audit')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => c.primaryKey())
          .addColumn('at', time, (c) => c.notNull())
          .addColumn('actor', 'varchar(120)', (c) => c.notNull())
          .addColumn('action', 'varchar(60)', (c) => c.notNull())
          .addColumn('target_type', 'varchar(40)', (c) => c.notNull())
          .addColumn('target_id', 'varchar(64)')
          .addColumn('outcome', 'varchar(60)', (c) => c.notNull())
          .addColumn('detail', 'text').execute();
      },
    },
    '0002_flows': {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('external_services')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('name', 'varchar(100)', (c) => c.notNull().unique())
          .addColumn('named_credential', 'varchar(100)', (c) => c.notNull())
          .addColumn('spec', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull()).execute();

        await db.schema.createTable('flows')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('name', 'varchar(100)', (c) => c.notNull().unique())
          .addColumn('definition', 'text', (c) => c.notNull())
          .addColumn('status', 'varchar(20)', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull()).execute();

        // A trigger's position, committed in the same transaction as the events it found.
        await db.schema.createTable('flow_cursors')
          .addColumn('flow_id', 'varchar(36)', (c) => c.primaryKey().references('flows.id').onDelete('cascade'))
          .addColumn('cursor', 'text', (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull()).execute();

        await db.schema.createTable('flow_events')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('flow_id', 'varchar(36)', (c) => c.notNull().references('flows.id').onDelete('cascade'))
          .addColumn('dedupe_key', 'varchar(255)', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('status', 'varchar(20)', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('next_attempt_at', time, (c) => c.notNull())
          .addColumn('last_error', 'text')
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull())
          .addUniqueConstraint('flow_events_dedupe', ['flow_id', 'dedupe_key']).execute();
        await db.schema.createIndex('flow_events_due').on('flow_events').columns(['status', 'next_attempt_at']).execute();

        await db.schema.createTable('flow_runs')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('flow_id', 'varchar(36)', (c) => c.notNull().references('flows.id').onDelete('cascade'))
          .addColumn('event_id', 'varchar(36)', (c) => c.notNull())
          .addColumn('status', 'varchar(20)', (c) => c.notNull())
          .addColumn('attempt', 'integer', (c) => c.notNull())
          .addColumn('steps', 'text', (c) => c.notNull())
          .addColumn('error', 'text')
          .addColumn('started_at', time, (c) => c.notNull())
          .addColumn('duration_ms', 'integer', (c) => c.notNull()).execute();
        await db.schema.createIndex('flow_runs_flow').on('flow_runs').columns(['flow_id', 'started_at']).execute();
      },
    },
    '0003_flow_history_retention': {
      async up(db: Kysely<unknown>) {
        // Pruning finds runs past the retention by age alone.
        await db.schema.createIndex('flow_runs_started').on('flow_runs').column('started_at').execute();
      },
    },
    '0009_flow_versions': {
      async up(db: Kysely<unknown>) {
        // Every saved document of a flow, as sent (comments and all): listed, diffed, restored.
        await db.schema.createTable('flow_versions')
          .addColumn('flow_id', 'varchar(36)', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('saved_by', 'varchar(200)', (c) => c.notNull())
          .addColumn('saved_at', time, (c) => c.notNull())
          .addPrimaryKeyConstraint('flow_versions_pk', ['flow_id', 'version']).execute();
      },
    },
    '0008_people': {
      async up(db: Kysely<unknown>) {
        // People who sign in to the console, and their sessions (tokens stored as SHA-256 only).
        await db.schema.createTable('users')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('username', 'varchar(100)', (c) => c.notNull().unique())
          .addColumn('display_name', 'varchar(100)', (c) => c.notNull())
          .addColumn('password_hash', 'varchar(200)', (c) => c.notNull())
          .addColumn('role', 'varchar(20)', (c) => c.notNull())
          .addColumn('manage_connections', 'integer', (c) => c.notNull())
          .addColumn('disabled', 'integer', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull()).execute();
        await db.schema.createTable('sessions')
          .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('last_seen_at', time, (c) => c.notNull()).execute();
      },
    },
    '0007_api_key_expiry': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('api_keys').addColumn('expires_at', 'bigint').execute();
      },
    },
    '0006_one_running_rotation': {
      async up(db: Kysely<unknown>) {
        // At most one running rotation per connection, whichever process starts it.
        await db.schema.createIndex('rotations_one_running').on('rotations').column('connection_id').unique().where(sql.ref('status'), '=', 'running').execute();
      },
    },
    '0005_flow_saved_by': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('flows').addColumn('saved_by', 'varchar(200)').execute();
      },
    },
    '0004_flow_event_claims': {
      async up(db: Kysely<unknown>) {
        // Events are claimed per flow (due ones, oldest first) and ordered per record.
        await db.schema.alterTable('flow_events').addColumn('record_key', 'varchar(255)').execute();
        await db.schema.alterTable('flow_events').addColumn('claim', 'varchar(36)').execute();
        // Due events are taken in id (arrival) order; a record's older pending event is found by its key.
        await db.schema.createIndex('flow_events_flow_queue').on('flow_events').columns(['flow_id', 'status', 'id']).execute();
        await db.schema.createIndex('flow_events_record').on('flow_events').columns(['flow_id', 'record_key', 'status', 'id']).execute();
      },
    },
  };
}