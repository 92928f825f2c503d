import type { ApiScope } from '../api-keys/api-keys.js';
import { API_SCOPES } from '../api-keys/api-keys.js';

/**
 * What a person may do, as API scopes: a viewer reads; a builder also writes and runs flows and
 * tests connections; creating, editing and deleting connections needs the seed's "Manage
 * Integration Connections" permission as well (an admin has it); an admin may do everything.
 */
export const ROLES = ['admin', 'builder', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const VIEWER: ApiScope[] = ['connections:read', 'flows:read', 'audit:read'];
const BUILDER: ApiScope[] = [...VIEWER, 'connections:test', 'flows:write', 'flows:trigger'];

export function scopesOf(role: Role, manageConnections: boolean): ApiScope[] {
  if (role === 'admin') return [...API_SCOPES];
  if (role === 'viewer') return VIEWER;
  return manageConnections ? [...BUILDER, 'connections:write'] : BUILDER;
}
