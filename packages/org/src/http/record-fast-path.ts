import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../store/database.js';
import type { DataAccess } from '../data/access/data-access.js';
import { recordJson } from '../data/records/retrieve.js';
import { normalizeId } from '../data/records/values.js';
import type { FieldDef, ObjectDef } from '../data/schema/fields.js';
import type { SchemaRegistry } from '../data/schema/registry.js';
import type { DataService } from '../data/service.js';
import { tableName } from '../data/store/record-tables.js';
import { bearerToken, isLiveSession } from './bearer-auth.js';
import { splitAccessToken } from '../oauth/tokens.js';
import type { OAuthContext } from '../oauth/context.js';
import type { AccessTokenTable, UserTable } from '../store/schema.js';

type Session = Pick<AccessTokenTable, 'secret_hash' | 'revoked' | 'expires_at' | 'user_id' | 'scopes'> & Pick<UserTable, 'active'>;
import { MAX_API_VERSION, MIN_API_VERSION } from './routes/versions.js';

type Statement = ReturnType<NonNullable<Store['sqlite']>['prepare']>;

const RECORD_PATH = /^\/services\/data\/v(\d{2})\.0\/sobjects\/([A-Za-z][A-Za-z0-9_]*)\/([A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?)$/;

/**
 * Reading one record by id is the data API's hottest call. On SQLite, when everything about it is
 * ordinary — a well-formed live token, an active user whose access is already compiled, a record
 * the user can see under an owner-based or open scope, no query string — it is answered straight
 * from node:http with prepared statements, using the same access object and the same record shaping
 * as the fastify route. Anything else (errors included) falls through to fastify, which answers it
 * in full; the fast path never answers an error itself.
 */
export function recordFastPath(ctx: OAuthContext, service: DataService, sqlite: Store['sqlite']) {
  if (!sqlite) return () => false;
  // One statement for the token and its user: the session check costs a single B-tree lookup pair.
  const sessionByToken = sqlite.prepare('SELECT t.secret_hash, t.revoked, t.expires_at, t.user_id, t.scopes, u.active FROM access_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_id = ?');
  let statements = new WeakMap<SchemaRegistry, Map<string, Statement>>();
  const fieldLists = new WeakMap<DataAccess, Map<ObjectDef, FieldDef[]>>();

  const statementFor = (object: ObjectDef, fields: FieldDef[], owners: number): Statement => {
    let cache = statements.get(service.schema);
    if (!cache) {
      statements = new WeakMap();
      cache = new Map();
      statements.set(service.schema, cache);
    }
    const key = `${object.name}|${fields.map((f) => f.name).join(',')}|${owners}`;
    let statement = cache.get(key);
    if (!statement) {
      const columns = [...new Set(['Id', ...fields.map((f) => f.name)])].map((c) => `"${c}"`).join(', ');
      const ownerFilter = owners > 0 ? ` AND "OwnerId" IN (${new Array(owners).fill('?').join(', ')})` : '';
      statement = sqlite.prepare(`SELECT ${columns} FROM "${tableName(object)}" WHERE "Id" = ? AND "IsDeleted" = 0${ownerFilter}`);
      cache.set(key, statement);
    }
    return statement;
  };

  const readableFields = (access: DataAccess, object: ObjectDef): FieldDef[] => {
    let byObject = fieldLists.get(access);
    if (!byObject) fieldLists.set(access, (byObject = new Map()));
    let fields = byObject.get(object);
    if (!fields) byObject.set(object, (fields = access.readableFields(object)));
    return fields;
  };

  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'GET') return false;
    const path = RECORD_PATH.exec(req.url ?? '');
    if (!path) return false;
    const version = Number(path[1]);
    if (version < MIN_API_VERSION || version > MAX_API_VERSION) return false;
    const token = bearerToken(req);
    const parts = token ? splitAccessToken(token) : undefined;
    if (!parts) return false;
    const session = sessionByToken.get(parts.id) as Session | undefined;
    // Anything short of a live API session falls through: the route answers it with Salesforce's error.
    if (!isLiveSession(session, parts.secret, ctx.now(), true)) return false;
    const access = service.cachedAccess(session.user_id);
    if (!access || !access.apiEnabled) return false;
    const object = service.schema.get(path[2]!);
    const id = normalizeId(path[3]!);
    if (!object || !id || !id.startsWith(object.keyPrefix) || !access.rights(object).read) return false;
    const scope = access.readScope(object);
    if (scope.kind !== 'all' && scope.kind !== 'owners') return false;
    const owners = scope.kind === 'owners' ? scope.owners : [];
    const fields = readableFields(access, object);
    const row = statementFor(object, fields, owners.length).get([id, ...owners]) as Record<string, unknown> | undefined;
    if (!row || !service.usage.take()) return false;
    const body = JSON.stringify(recordJson(object, fields, row, `v${version}.0`));
    const { used, max } = service.usage.current();
    req.resume();
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'sforce-limit-info': `api-usage=${used}/${max}`,
      'x-content-type-options': 'nosniff',
    });
    res.end(body);
    return true;
  };
}
