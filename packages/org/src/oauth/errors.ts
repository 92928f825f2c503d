/** An OAuth error as Salesforce's token endpoints answer it: `{"error", "error_description"}`. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${error}: ${description}`);
    this.name = 'OAuthError';
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

/** The exact bodies Salesforce sends, named so the grants read as the reference does. */
export const SalesforceOAuthErrors = {
  wrongDomain: () => new OAuthError('invalid_grant', 'request not supported on this domain'),
  noRunAsUser: () => new OAuthError('invalid_grant', 'no client credentials user enabled'),
  badSecret: () => new OAuthError('invalid_client', 'invalid client credentials'),
  unknownClient: () => new OAuthError('invalid_client_id', 'client identifier invalid'),
  grantNotEnabled: () => new OAuthError('unsupported_grant_type', 'grant type not supported'),
  authenticationFailure: () => new OAuthError('invalid_grant', 'authentication failure'),
  expiredToken: () => new OAuthError('invalid_grant', 'expired access/refresh token'),
  badCode: () => new OAuthError('invalid_grant', 'invalid authorization code'),
  redirectMismatch: () => new OAuthError('redirect_uri_mismatch', 'redirect_uri must match configuration'),
  inactiveUser: () => new OAuthError('inactive_user', 'user is inactive'),
} as const;
