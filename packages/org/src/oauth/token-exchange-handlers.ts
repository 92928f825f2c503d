import { createRemoteJWKSet, jwtVerify, errors, type JWTPayload } from 'jose';
import type { Kysely } from 'kysely';
import { tokenExchangeHandlerKey } from '../org/settings.js';
import type { TokenExchangeHandlerSpec } from '../setup/schema.js';
import type { OrgDatabase } from '../store/schema.js';

/** RFC 8693 token type URIs, and the handler's name for each (Salesforce's Auth.OAuth2TokenExchangeType). */
export const SUBJECT_TOKEN_TYPE_URIS: Record<string, TokenExchangeHandlerSpec['tokenTypes'][number]> = {
  'urn:ietf:params:oauth:token-type:jwt': 'jwt',
  'urn:ietf:params:oauth:token-type:access_token': 'access_token',
  'urn:ietf:params:oauth:token-type:id_token': 'id_token',
};
/** How far the identity provider's clock may be off (exp, nbf, iat). */
const CLOCK_TOLERANCE_SECONDS = 60;

/** The handlers enabled for an app: the one named, or the app's default. */
export async function handlerFor(db: Kysely<OrgDatabase>, appApiName: string, name: string | undefined): Promise<TokenExchangeHandlerSpec | undefined> {
  if (name !== undefined) {
    const row = await db.selectFrom('org_settings').select('value').where('key', '=', tokenExchangeHandlerKey(name)).executeTakeFirst();
    const handler = row ? JSON.parse(row.value) as TokenExchangeHandlerSpec : undefined;
    return handler?.apps.some((a) => a.app === appApiName) ? handler : undefined;
  }
  const rows = await db.selectFrom('org_settings').select('value').where('key', 'like', tokenExchangeHandlerKey('%')).execute();
  return rows.map((r) => JSON.parse(r.value) as TokenExchangeHandlerSpec).find((h) => h.apps.some((a) => a.app === appApiName && a.default));
}

/** One key set per URL, fetched when first needed and refetched by jose when a token names an unknown key. */
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/**
 * The handler's validation (Apex `validateIncomingToken`): a JWT signed by a key of the identity
 * provider's JWKS, from its issuer, for the audience if one is set, and in date. Returns the claims,
 * or why the token is refused (the handler's custom error message).
 */
export async function validateSubjectToken(handler: TokenExchangeHandlerSpec, token: string): Promise<{ claims: JWTPayload } | { refused: string }> {
  let keys = keySets.get(handler.jwksUrl);
  if (!keys) keySets.set(handler.jwksUrl, (keys = createRemoteJWKSet(new URL(handler.jwksUrl), { timeoutDuration: 5000 })));
  try {
    const { payload } = await jwtVerify(token, keys, { issuer: handler.issuer, ...(handler.audience ? { audience: handler.audience } : {}), clockTolerance: CLOCK_TOLERANCE_SECONDS });
    return { claims: payload };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { refused: 'the subject token has expired' };
    if (error instanceof errors.JWTClaimValidationFailed) return { refused: `the subject token's ${error.claim} claim is not accepted` };
    if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return { refused: 'the identity provider\'s keys could not be read' };
    return { refused: 'the subject token is not a JWT signed by the identity provider' };
  }
}

/** The handler's user mapping (Apex `getUserForTokenSubject`): the claim's value through the handler's map, else itself (a username or an email). */
export function subjectOf(handler: TokenExchangeHandlerSpec, claims: JWTPayload): string | undefined {
  const value = claims[handler.subjectClaim];
  if (typeof value !== 'string' || !value) return undefined;
  return handler.users ? handler.users[value] : value;
}
