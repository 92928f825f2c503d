import { randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { z } from 'zod';
import type { HubContext } from '../context.js';
import { Problem } from '../problem.js';
import type { UserTable } from '../store/schema.js';
import { redactSecrets } from '../vault/redact.js';
import { ROLES, type Role } from './roles.js';

/**
 * Sign-in through an OAuth 2.0 provider ("Log in with Salesforce"): the authorization code flow
 * with PKCE and state, then the provider's userinfo endpoint says who signed in. A person is
 * matched to a hub user by username (Salesforce's preferred_username); with `defaultRole` an
 * unknown person is added with that role, otherwise refused until an admin adds them.
 */
export const signInProviderInput = z.object({
  name: z.string().min(1).max(60),
  authorizeUrl: z.url(),
  tokenUrl: z.url(),
  userinfoUrl: z.url(),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  scope: z.string().default('id'),
  defaultRole: z.enum(ROLES).optional(),
}).strict();
export type SignInProvider = z.infer<typeof signInProviderInput>;

/** Salesforce (or the org) as the provider, from its login URL. */
export function salesforceSignIn(loginUrl: string, clientId: string, clientSecret: string, defaultRole?: Role): SignInProvider {
  const base = loginUrl.replace(/\/+$/, '');
  return signInProviderInput.parse({ name: 'Salesforce', authorizeUrl: `${base}/services/oauth2/authorize`, tokenUrl: `${base}/services/oauth2/token`, userinfoUrl: `${base}/services/oauth2/userinfo`, clientId, clientSecret, ...(defaultRole ? { defaultRole } : {}) });
}

export const SIGN_IN_CALLBACK_PATH = '/api/v1/session/sso/callback';
/** The pending sign-in (state and PKCE verifier), sealed in a short-lived cookie of this browser. */
export const SIGN_IN_COOKIE = 'hs_sign_in';
const PENDING_MS = 10 * 60_000;
const SEAL_CONTEXT = 'console-sign-in';

const options = (ctx: HubContext) => ({ [oauth.allowInsecureRequests]: ctx.outbound.allowPrivateNetworks, [oauth.customFetch]: ctx.outbound.fetch });

/** Where to send the browser, and the sealed cookie that must come back with it. */
export async function startSignIn(ctx: HubContext, provider: SignInProvider): Promise<{ url: string; cookie: string }> {
  const state = randomBytes(32).toString('base64url');
  const verifier = oauth.generateRandomCodeVerifier();
  const url = new URL(provider.authorizeUrl);
  url.search = new URLSearchParams({ response_type: 'code', client_id: provider.clientId, redirect_uri: ctx.publicUrl() + SIGN_IN_CALLBACK_PATH, scope: provider.scope, state, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }).toString();
  return { url: url.toString(), cookie: ctx.vault.seal(JSON.stringify({ state, verifier, expiresAt: ctx.now() + PENDING_MS }), SEAL_CONTEXT) };
}

/** Redeems the code (checking state against the cookie), asks userinfo who it is, and finds or adds the hub user. */
export async function finishSignIn(ctx: HubContext, provider: SignInProvider, params: URLSearchParams, cookie: string | undefined, addUser: (username: string, displayName: string, role: Role) => Promise<UserTable>, findUser: (username: string) => Promise<UserTable | undefined>): Promise<UserTable> {
  let pending: { state: string; verifier: string; expiresAt: number };
  try {
    pending = JSON.parse(ctx.vault.open(cookie ?? '', SEAL_CONTEXT).reveal()) as typeof pending;
  } catch {
    throw new Problem(400, 'Sign-in not started here', 'This sign-in was not started from this browser, or took too long. Start again from the sign-in page.');
  }
  if (pending.expiresAt <= ctx.now()) throw new Problem(400, 'Sign-in expired', 'The sign-in took more than 10 minutes. Start again from the sign-in page.');
  if (params.get('error')) throw new Problem(400, 'Sign-in refused', `${provider.name} answered ${params.get('error')}: ${params.get('error_description') ?? ''}`.trim());
  const as: oauth.AuthorizationServer = { issuer: new URL(provider.tokenUrl).origin, token_endpoint: provider.tokenUrl, userinfo_endpoint: provider.userinfoUrl };
  const client: oauth.Client = { client_id: provider.clientId };
  let username: string;
  let displayName: string;
  try {
    const callback = new URL(ctx.publicUrl() + SIGN_IN_CALLBACK_PATH);
    callback.search = params.toString();
    const validated = oauth.validateAuthResponse(as, client, callback, pending.state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretPost(provider.clientSecret), validated, ctx.publicUrl() + SIGN_IN_CALLBACK_PATH, pending.verifier, options(ctx));
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
    const info = await (await oauth.userInfoRequest(as, client, tokens.access_token, options(ctx))).json() as { preferred_username?: string; email?: string; name?: string };
    username = info.preferred_username ?? info.email ?? '';
    displayName = info.name ?? username;
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError || error instanceof oauth.AuthorizationResponseError) throw new Problem(400, 'Sign-in failed', redactSecrets(`${provider.name} refused: ${error.error} ${error.error_description ?? ''}`.trim(), [provider.clientSecret]));
    throw error;
  }
  if (!username) throw new Problem(400, 'Sign-in failed', `${provider.name} did not say who signed in (no preferred_username or email in userinfo).`);
  const user = await findUser(username);
  if (user) return user;
  if (!provider.defaultRole) throw new Problem(403, 'Not a hub user', `${username} signed in to ${provider.name}, but has no hub account. Ask an admin to add them (handshake hub user create --username ${username}).`);
  return addUser(username, displayName, provider.defaultRole);
}
