import type { OAuthContext, TokenRequest } from './context.js';
import { OAuthError, SalesforceOAuthErrors } from './errors.js';
import { authorizationCodeGrant } from './grants/authorization-code.js';
import { clientCredentialsGrant } from './grants/client-credentials.js';
import type { GrantResult } from './grants/grant.js';
import { JWT_BEARER, jwtBearerGrant } from './grants/jwt-bearer.js';
import { passwordGrant } from './grants/password.js';
import { TOKEN_EXCHANGE, tokenExchangeGrant } from './grants/token-exchange.js';
import { refreshTokenGrant } from './grants/refresh-token.js';

type Grant = (ctx: OAuthContext, req: TokenRequest) => Promise<GrantResult>;

const GRANTS: Record<string, Grant> = {
  client_credentials: clientCredentialsGrant,
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  password: passwordGrant,
  [JWT_BEARER]: jwtBearerGrant,
  [TOKEN_EXCHANGE]: tokenExchangeGrant,
};

export interface TokenOutcome { grantType: string; result?: GrantResult; error?: OAuthError }

/** Dispatches to the grant and writes the event log line for every request, issued or refused. */
export async function handleTokenRequest(ctx: OAuthContext, req: TokenRequest): Promise<TokenOutcome> {
  const grantType = req.params.grant_type ?? '';
  const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
  try {
    if (!grant) throw grantType ? SalesforceOAuthErrors.grantNotEnabled() : new OAuthError('invalid_request', 'grant_type is required');
    const result = await grant(ctx, req);
    const event = { at: ctx.now(), kind: 'token', app_id: result.appId, user_id: result.userId, grant_type: grantType, address: req.address, outcome: 'success', detail: null };
    await ctx.writer.write({ accessToken: result.unsavedAccessToken, event });
    return { grantType, result };
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    await ctx.writer.write({ event: { at: ctx.now(), kind: 'token', app_id: null, user_id: null, grant_type: grantType.slice(0, 80) || null, address: req.address, outcome: error.error, detail: error.description } });
    return { grantType, error };
  }
}
