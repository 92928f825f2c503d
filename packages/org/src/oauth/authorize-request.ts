import { findAppByConsumerKey, type ExternalClientApp } from '../apps/apps.js';
import type { OAuthContext } from './context.js';
import { OAuthError } from './errors.js';
import { grantScopes } from './scopes.js';

export interface AuthorizeParams {
  response_type?: string;
  client_id?: string;
  redirect_uri?: string;
  scope?: string;
  state?: string;
  code_challenge?: string;
  code_challenge_method?: string;
}

export const AUTHORIZE_PARAM_NAMES = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'] as const;

export type AuthorizeCheck =
  /** Client or redirect URI cannot be trusted: show the error, never redirect. */
  | { kind: 'page_error'; error: OAuthError }
  /** The redirect URI is the app's own: report the error to it. */
  | { kind: 'redirect_error'; redirectUri: string; state: string | undefined; error: OAuthError }
  | { kind: 'ok'; app: ExternalClientApp; redirectUri: string; scopes: string[]; codeChallenge: string | null; codeChallengeMethod: 'S256' | 'plain' | null; state: string | undefined };

/**
 * Checks an authorization request in RFC 6749's order: client and exact redirect URI first (errors
 * shown on a page), then everything else (errors sent back to the redirect URI with `state`).
 */
export async function checkAuthorizeRequest(ctx: OAuthContext, params: AuthorizeParams): Promise<AuthorizeCheck> {
  const found = params.client_id ? await findAppByConsumerKey(ctx.db, params.client_id, ctx.now()) : undefined;
  if (!found) return { kind: 'page_error', error: new OAuthError('invalid_client_id', 'client identifier invalid') };
  const { app } = found;
  const redirectUri = params.redirect_uri;
  if (!redirectUri || !app.callbackUrls.includes(redirectUri)) {
    return { kind: 'page_error', error: new OAuthError('redirect_uri_mismatch', 'redirect_uri must match configuration') };
  }
  const state = params.state;
  const fail = (error: string, description: string): AuthorizeCheck => ({ kind: 'redirect_error', redirectUri, state, error: new OAuthError(error, description) });

  if (params.response_type !== 'code') return fail('unsupported_response_type', 'response type not supported');
  if (!app.flows.includes('authorization_code')) return fail('invalid_request', 'the authorization code flow is not enabled for this app');
  const challenge = params.code_challenge ?? null;
  if (app.requirePkce && !challenge) return fail('invalid_request', 'missing required code challenge');
  // jsforce sends a challenge without a method; Salesforce treats that as S256.
  const method = challenge ? (params.code_challenge_method ?? 'S256') : null;
  if (method !== null && method !== 'S256' && method !== 'plain') return fail('invalid_request', `code_challenge_method must be S256 (got "${method}")`);
  if (challenge !== null && !/^[A-Za-z0-9\-._~]{43,128}$/.test(challenge)) return fail('invalid_request', 'code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~');
  let scopes: string[];
  try {
    scopes = grantScopes(app.scopes, params.scope);
  } catch (error) {
    if (error instanceof OAuthError) return fail(error.error, error.description);
    throw error;
  }
  return { kind: 'ok', app, redirectUri, scopes, codeChallenge: challenge, codeChallengeMethod: method as 'S256' | 'plain' | null, state };
}

export function redirectWith(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}
