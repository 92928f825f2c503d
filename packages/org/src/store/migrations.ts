import type { Dialect } from '@handshake/storage';
import { sql, type Kysely, type Migration } from 'kysely';

/** The org's schema, one migration per release; run by @handshake/storage. */
export function orgMigrations(dialect: Dialect): Record<string, Migration> {
  const time = 'bigint' as const;
  return {
    '0001_identity_and_oauth': {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('org_settings')
          .addColumn('key', 'varchar(100)', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull()).execute();

        await db.schema.createTable('users')
          .addColumn('id', 'varchar(18)', (c) => c.primaryKey())
          .addColumn('username', 'varchar(255)', (c) => c.notNull().unique())
          .addColumn('email', 'varchar(255)', (c) => c.notNull())
          .addColumn('first_name', 'varchar(40)')
          .addColumn('last_name', 'varchar(80)', (c) => c.notNull())
          .addColumn('licence', 'varchar(80)', (c) => c.notNull())
          .addColumn('profile', 'varchar(80)', (c) => c.notNull())
          .addColumn('active', 'integer', (c) => c.notNull())
          .addColumn('password_hash', 'text')
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull()).execute();

        await db.schema.createTable('permission_sets')
          .addColumn('id', 'varchar(18)', (c) => c.primaryKey())
          .addColumn('name', 'varchar(80)', (c) => c.notNull().unique())
          .addColumn('label', 'varchar(80)', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('object_permissions', 'text', (c) => c.notNull())
          .addColumn('field_permissions', 'text', (c) => c.notNull())
          .addColumn('system_permissions', 'text', (c) => c.notNull()).execute();

        await db.schema.createTable('permission_set_assignments')
          .addColumn('user_id', 'varchar(18)', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('permission_set_id', 'varchar(18)', (c) => c.notNull().references('permission_sets.id').onDelete('cascade'))
          .addPrimaryKeyConstraint('psa_pk', ['user_id', 'permission_set_id']).execute();

        await db.schema.createTable('permission_set_licence_assignments')
          .addColumn('user_id', 'varchar(18)', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('licence', 'varchar(80)', (c) => c.notNull())
          .addPrimaryKeyConstraint('psla_pk', ['user_id', 'licence']).execute();

        await db.schema.createTable('sharing_settings')
          .addColumn('object_name', 'varchar(80)', (c) => c.primaryKey())
          .addColumn('default_access', 'varchar(40)', (c) => c.notNull())
          .addColumn('rules', 'text', (c) => c.notNull()).execute();

        await db.schema.createTable('apps')
          .addColumn('id', 'varchar(18)', (c) => c.primaryKey())
          .addColumn('api_name', 'varchar(80)', (c) => c.notNull().unique())
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('contact_email', 'varchar(255)', (c) => c.notNull())
          .addColumn('callback_urls', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('flows', 'text', (c) => c.notNull())
          .addColumn('require_secret', 'integer', (c) => c.notNull())
          .addColumn('require_pkce', 'integer', (c) => c.notNull())
          .addColumn('run_as_user_id', 'varchar(18)', (c) => c.references('users.id').onDelete('set null'))
          .addColumn('refresh_token_policy', 'text', (c) => c.notNull())
          .addColumn('refresh_token_rotation', 'integer', (c) => c.notNull())
          .addColumn('access_token_ttl_seconds', 'integer', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull()).execute();

        await db.schema.createTable('app_consumers')
          .addColumn('id', 'varchar(18)', (c) => c.primaryKey())
          .addColumn('consumer_id', 'varchar(18)', (c) => c.notNull())
          .addColumn('role', 'varchar(10)', (c) => c.notNull())
          .addColumn('app_id', 'varchar(18)', (c) => c.notNull().references('apps.id').onDelete('cascade'))
          .addColumn('consumer_key', 'varchar(120)', (c) => c.notNull().unique())
          .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
          .addColumn('secret_sealed', 'text', (c) => c.notNull())
          .addColumn('state', 'varchar(20)', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('expires_at', time).execute();

        await db.schema.createTable('access_tokens')
          .addColumn('token_id', 'varchar(24)', (c) => c.primaryKey())
          .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
          .addColumn('app_id', 'varchar(18)', (c) => c.notNull())
          .addColumn('user_id', 'varchar(18)', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('grant_id', 'varchar(64)')
          .addColumn('issued_at', time, (c) => c.notNull())
          .addColumn('expires_at', time, (c) => c.notNull())
          .addColumn('revoked', 'integer', (c) => c.notNull())
          // One B-tree instead of a rowid table plus a key index: the token endpoint's hottest write.
          .$call((t) => (dialect === 'sqlite' ? t.modifyEnd(sql`without rowid`) : t)).execute();
        // Partial: client credentials tokens (the bulk) belong to no grant, and skip this index.
        await db.schema.createIndex('access_tokens_grant').on('access_tokens').column('grant_id').where(sql.ref('grant_id'), 'is not', null).execute();

        await db.schema.createTable('refresh_tokens')
          .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('grant_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('app_id', 'varchar(18)', (c) => c.notNull())
          .addColumn('user_id', 'varchar(18)', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('issued_at', time, (c) => c.notNull())
          .addColumn('last_used_at', time, (c) => c.notNull())
          .addColumn('expires_at', time)
          .addColumn('rotated_at', time)
          .addColumn('successor_sealed', 'text')
          .addColumn('revoked', 'integer', (c) => c.notNull()).execute();
        await db.schema.createIndex('refresh_tokens_grant').on('refresh_tokens').column('grant_id').execute();

        await db.schema.createTable('authorization_codes')
          .addColumn('code_hash', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('app_id', 'varchar(18)', (c) => c.notNull())
          .addColumn('user_id', 'varchar(18)', (c) => c.notNull())
          .addColumn('redirect_uri', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('code_challenge', 'varchar(128)')
          .addColumn('code_challenge_method', 'varchar(10)')
          .addColumn('grant_id', 'varchar(64)', (c) => c.notNull())
          .addColumn('expires_at', time, (c) => c.notNull())
          .addColumn('used_at', time).execute();

        await db.schema.createTable('events')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => c.primaryKey())
          .addColumn('at', time, (c) => c.notNull())
          .addColumn('kind', 'varchar(40)', (c) => c.notNull())
          .addColumn('app_id', 'varchar(18)')
          .addColumn('user_id', 'varchar(18)')
          .addColumn('grant_type', 'varchar(80)')
          .addColumn('address', 'varchar(64)')
          .addColumn('outcome', 'varchar(80)', (c) => c.notNull())
          .addColumn('detail', 'text').execute();

      },
    },
    '0002_data_objects': {
      // Record tables themselves are created from the schema registry (data/store/record-tables.ts).
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('data_objects')
          .addColumn('name', 'varchar(80)', (c) => c.primaryKey())
          .addColumn('key_prefix', 'varchar(3)', (c) => c.notNull().unique())
          .addColumn('definition', 'text', (c) => c.notNull()).execute();
      },
    },
    '0003_bulk_jobs': {
      // Bulk API jobs (2.0 ingest and query; 1.0 jobs and their batches, a batch's parent its job). Progress (rows done, result file sizes) commits with each chunk's records,
      // so a job resumed after a crash neither repeats nor skips a row.
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('bulk_jobs')
          .addColumn('id', 'varchar(18)', (c) => c.primaryKey())
          .addColumn('kind', 'varchar(10)', (c) => c.notNull())
          .addColumn('operation', 'varchar(20)', (c) => c.notNull())
          .addColumn('object', 'varchar(80)', (c) => c.notNull())
          .addColumn('external_id_field', 'varchar(80)')
          .addColumn('query', 'text')
          .addColumn('parent_id', 'varchar(18)')
          .addColumn('state', 'varchar(20)', (c) => c.notNull())
          .addColumn('created_by', 'varchar(18)', (c) => c.notNull())
          .addColumn('api_version', 'varchar(10)', (c) => c.notNull())
          .addColumn('line_ending', 'varchar(4)', (c) => c.notNull())
          .addColumn('column_delimiter', 'varchar(10)', (c) => c.notNull())
          .addColumn('uploads', 'integer', (c) => c.notNull())
          .addColumn('data_key', 'varchar(36)')
          .addColumn('rows_done', 'integer', (c) => c.notNull())
          .addColumn('records_processed', 'integer', (c) => c.notNull())
          .addColumn('records_failed', 'integer', (c) => c.notNull())
          .addColumn('result_sizes', 'text', (c) => c.notNull())
          .addColumn('error_message', 'text')
          .addColumn('processing_ms', 'integer', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull()).execute();
        await db.schema.createIndex('bulk_jobs_state').on('bulk_jobs').columns(['state', 'created_at']).execute();
        await db.schema.createIndex('bulk_jobs_parent').on('bulk_jobs').column('parent_id').execute();
      },
    },
    '0004_change_events': {
      // Change Data Capture: each committed change of an enabled object, kept 72 hours; the replay id only grows.
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('change_events')
          .addColumn('replay_id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('entity', 'varchar(80)', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('event', 'text', (c) => c.notNull()).execute();
        await db.schema.createIndex('change_events_created').on('change_events').column('created_at').execute();
      },
    },
    '0005_app_jwt_exchange_permitted_users': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('apps').addColumn('certificate', 'text').execute();
        await db.schema.alterTable('apps').addColumn('permitted_users', 'text', (c) => c.notNull().defaultTo('{"policy":"allSelfAuthorized","profiles":[],"permissionSets":[]}')).execute();
        await db.schema.alterTable('apps').addColumn('require_secret_refresh', 'integer', (c) => c.notNull().defaultTo(1)).execute();
        await db.schema.alterTable('apps').addColumn('require_secret_exchange', 'integer', (c) => c.notNull().defaultTo(1)).execute();
      },
    },
  };
}
