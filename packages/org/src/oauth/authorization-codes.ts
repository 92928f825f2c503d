import { randomToken, sha256 } from '../crypto/hashing.js';
import type { OAuthContext } from './context.js';

/** Salesforce's codes live 15 minutes and are single use. */
const CODE_TTL_MS = 15 * 60 * 1000;

export interface NewCode {
  appId: string;
  userId: string;
  redirectUri: string;
  scopes: readonly string[];
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | 'plain' | null;
}

export async function createAuthorizationCode(ctx: OAuthContext, spec: NewCode): Promise<string> {
  const code = `aPrx${randomToken(32)}`;
  await ctx.db.insertInto('authorization_codes').values({
    code_hash: sha256(code),
    app_id: spec.appId,
    user_id: spec.userId,
    redirect_uri: spec.redirectUri,
    scopes: spec.scopes.join(' '),
    code_challenge: spec.codeChallenge,
    code_challenge_method: spec.codeChallengeMethod,
    grant_id: randomToken(16),
    expires_at: ctx.now() + CODE_TTL_MS,
    used_at: null,
  }).execute();
  return code;
}
