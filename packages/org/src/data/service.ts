import type { Dialect } from '@handshake/storage';
import { sql, type Kysely } from 'kysely';
import { EventEmitter } from 'node:events';
import { ORG_SETTING_CHANGE_DATA_CAPTURE, orgSetting, readOrg } from '../org/settings.js';
import type { OrgDatabase, UserTable } from '../store/schema.js';
import { loadDataAccess, type DataAccess } from './access/data-access.js';
import { scopeFilter, type ScopeFilter, col } from './access/scope-sql.js';
import type { ObjectDef } from './schema/fields.js';
import { SchemaRegistry } from './schema/registry.js';
import { syncRecordTables, tableName, type RecordDatabase } from './store/record-tables.js';

export type { RecordDatabase };
import { ModstampClock } from './records/modstamp-clock.js';
import type { BlobStore } from './files/blob-store.js';
import type { QueryLocators } from './soql/locators.js';
import type { ApiUsage } from './limits/api-usage.js';
import { ROLLUPS } from './records/rollups.js';

const ACCESS_TTL_MS = 2000;

export type AccessMode = 'read' | 'edit' | 'delete';

const REFRESH_STATISTICS_AFTER_ROWS = 10_000;

/**
 * The data API's shared state: the schema, the record tables, the modstamp clock and a short
 * cache of each user's compiled access (permissions change through setup, which clears it).
 */
export class DataService {
  schema: SchemaRegistry = new SchemaRegistry([]);
  /** Objects enabled for Change Data Capture (setup's `changeDataCapture`). */
  cdcObjects = new Set<string>();
  /** Emits `change` after a DML call committed change events (subscribers' long polls wake on it). */
  readonly changeSignal = new EventEmitter();
  /** When objects, fields or permissions last changed (every setup change reloads): what describe's If-Modified-Since compares. */
  describeChangedAt = 0;
  readonly clock: ModstampClock;
  private readonly accessCache = new Map<string, { at: number; access: DataAccess }>();

  constructor(
    readonly db: RecordDatabase,
    readonly dialect: Dialect,
    readonly now: () => number,
    readonly blobs: BlobStore,
    readonly locators: QueryLocators,
    readonly usage: ApiUsage,
    private readonly refreshStatistics: () => void,
  ) {
    this.clock = new ModstampClock(now);
    this.changeSignal.setMaxListeners(0);
  }

  /** Boxed, so the views `transact` hands out count into the same total. */
  private readonly inserted = { sinceRefresh: 0 };

  /**
   * Records count toward a refresh of the planner's statistics, run after the current request once
   * 10,000 rows were inserted (SQLite re-analyses only tables that grew tenfold, so this is cheap
   * until it matters).
   */
  noteInserted(rows: number): void {
    this.inserted.sinceRefresh += rows;
    if (this.inserted.sinceRefresh < REFRESH_STATISTICS_AFTER_ROWS) return;
    this.inserted.sinceRefresh = 0;
    setImmediate(() => {
      try {
        this.refreshStatistics();
      } catch {
        // Statistics only steer the planner; a busy or closing store must not fail anything.
      }
    });
  }

  /**
   * Runs `work` in one transaction, with a view of this service whose every query goes through it,
   * so several writes (a composite request with allOrNone, a record tree) commit or roll back as one.
   * Inside a transaction already, `work` joins it.
   */
  async transact<T>(work: (scoped: DataService) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this);
    return this.db.transaction().execute((trx) => work(Object.create(this, { db: { value: trx } }) as DataService));
  }

  /** After a commit: wake subscribers when the object's changes were captured. */
  changesCommitted(object: ObjectDef): void {
    // A child's write can change its parent's roll-up, which is the parent's change event.
    const parent = ROLLUPS[object.name]?.parent;
    if (object.platformEvent || this.cdcObjects.has(object.name) || (parent && this.cdcObjects.has(parent))) this.changeSignal.emit('change');
  }

  get orgDb(): Kysely<OrgDatabase> {
    return this.db as unknown as Kysely<OrgDatabase>;
  }

  /** Rebuilds the schema from the store and brings record tables and the User object up to date. */
  async reload(): Promise<void> {
    this.schema = await SchemaRegistry.load(this.orgDb);
    await syncRecordTables(this.db, this.dialect, this.schema);
    await this.syncUsers();
    await this.syncOrganization();
    for (const object of this.schema.objects) {
      const { rows } = await sql<{ m: string | null }>`SELECT MAX(${sql.ref('SystemModstamp')}) AS m FROM ${sql.table(tableName(object))}`.execute(this.db);
      this.clock.seed(rows[0]?.m);
    }
    this.accessCache.clear();
    this.describeChangedAt = this.now();
    this.cdcObjects = new Set(JSON.parse((await orgSetting(this.orgDb, ORG_SETTING_CHANGE_DATA_CAPTURE)) ?? '[]') as string[]);
    await this.usage.load(this.orgDb);
  }

  async accessFor(user: UserTable): Promise<DataAccess> {
    const cached = this.accessCache.get(user.id);
    const now = this.now();
    if (cached && now - cached.at < ACCESS_TTL_MS) return cached.access;
    const access = await loadDataAccess(this.orgDb, user);
    this.accessCache.set(user.id, { at: now, access });
    return access;
  }

  /** The user's compiled access if it is fresh in the cache (the hot path does not wait for a rebuild). */
  cachedAccess(userId: string): DataAccess | undefined {
    const cached = this.accessCache.get(userId);
    return cached && this.now() - cached.at < ACCESS_TTL_MS ? cached.access : undefined;
  }

  filter(access: DataAccess, object: ObjectDef, mode: AccessMode): Promise<ScopeFilter> {
    const scope = mode === 'read' ? access.readScope(object) : mode === 'edit' ? access.editScope(object) : access.deleteScope(object);
    return scopeFilter(this, access, object, scope);
  }

  /** Which of these ids name live records of the object that the user can read (or edit). */
  async visibleIds(access: DataAccess, object: ObjectDef, ids: readonly string[], mode: AccessMode): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const filter = (await this.filter(access, object, mode))('t');
    const { rows } = await sql<{ Id: string }>`SELECT ${col('t', 'Id')} AS ${sql.id('Id')} FROM ${sql.table(tableName(object))} AS t
      WHERE ${col('t', 'Id')} IN (${sql.join([...new Set(ids)])}) AND ${col('t', 'IsDeleted')} = 0 ${filter ? sql`AND ${filter}` : sql``}`.execute(this.db);
    return new Set(rows.map((r) => r.Id));
  }

  /** The Organization object is one row, the org, as a Developer Edition org describes itself. */
  private async syncOrganization(): Promise<void> {
    const org = await readOrg(this.orgDb);
    const table = tableName(this.schema.get('Organization')!);
    const at = new Date(this.now()).toISOString();
    await this.db.transaction().execute(async (trx) => {
      await sql`DELETE FROM ${sql.table(table)}`.execute(trx);
      await trx.insertInto(table).values({
        Id: org.orgId, Name: org.name, InstanceName: 'HS1', IsSandbox: 0, TrialExpirationDate: null, NamespacePrefix: null,
        OrganizationType: 'Developer Edition', LanguageLocaleKey: 'en_US', TimeZoneSidKey: 'GMT', DefaultLocaleSidKey: 'en_US',
        IsDeleted: 0, CreatedDate: at, CreatedById: null, LastModifiedDate: at, LastModifiedById: null, SystemModstamp: at,
      }).execute();
    });
  }

  /** The User object mirrors the identity model's users (it is read-only through the API). */
  private async syncUsers(): Promise<void> {
    const users = await this.orgDb.selectFrom('users').selectAll().execute();
    const table = tableName(this.schema.get('User')!);
    await this.db.transaction().execute(async (trx) => {
      await sql`DELETE FROM ${sql.table(table)}`.execute(trx);
      for (const u of users) {
        const created = new Date(u.created_at).toISOString();
        const modified = new Date(u.updated_at).toISOString();
        const row: Record<string, unknown> = {
          Id: u.id, Username: u.username, Name: [u.first_name, u.last_name].filter(Boolean).join(' '), Email: u.email,
          FirstName: u.first_name, LastName: u.last_name, IsActive: u.active, ProfileId: null, ProfileName: u.profile,
          IsDeleted: 0, CreatedDate: created, CreatedById: u.id, LastModifiedDate: modified, LastModifiedById: u.id, SystemModstamp: modified,
        };
        await trx.insertInto(table).values(row).execute();
      }
    });
  }
}
