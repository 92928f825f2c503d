import { OAuthError } from './errors.js';

/** Scopes Salesforce never puts in a client credentials token (they need a user session or a refresh token). */
const NOT_FOR_CLIENT_CREDENTIALS = new Set(['full', 'web', 'offline_access', 'refresh_token']);

export function grantsRefreshToken(scopes: readonly string[]): boolean {
  return scopes.includes('refresh_token') || scopes.includes('offline_access');
}

/**
 * The scopes to grant: the requested ones (all of the app's when none are named), each of which
 * the app must allow. `full` stands for every scope but refresh_token, as in Salesforce.
 */
export function grantScopes(appScopes: readonly string[], requested: string | undefined, forClientCredentials = false): string[] {
  const allowed = forClientCredentials ? appScopes.filter((s) => !NOT_FOR_CLIENT_CREDENTIALS.has(s)) : [...appScopes];
  if (requested === undefined || requested.trim() === '') return allowed;
  const wanted = [...new Set(requested.trim().split(/\s+/))];
  const unknown = wanted.filter((s) => !appScopes.includes(s));
  if (unknown.length > 0) throw new OAuthError('invalid_scope', `the app does not allow the scope${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  return wanted.filter((s) => allowed.includes(s));
}
