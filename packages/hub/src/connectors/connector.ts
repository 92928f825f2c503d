import type { z } from 'zod';

/** How a connection signs requests; the secret stays inside the signer. */
export type AuthKind = 'oauth2_client_credentials' | 'oauth2_authorization_code' | 'oauth2_jwt_bearer' | 'oauth2_token_exchange' | 'basic' | 'api_key' | 'bearer' | 'custom_headers';

/** A connection's non-secret settings, shown by the API as they are. */
export type ConnectionConfig = Record<string, unknown>;

/** A custom token request parameter, as a Salesforce External Auth Identity Provider allows (e.g. audience). */
export interface TokenParam { name: string; value: string; in: 'body' | 'header' }

/** A connection's settings split in two: what may be shown, and what is sealed in the vault. */
export interface SplitCredentials {
  config: ConnectionConfig;
  secrets: Record<string, string>;
}

/** The token request of an OAuth 2.0 client credentials connection. */
export interface ClientCredentialsRequest {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Extra parameters (audience, resource, scope…), each in the body or as a header. */
  extraParams?: TokenParam[];
}

/** The token request of an OAuth 2.0 JWT bearer connection (RFC 7523): who the assertion names, and for whom. */
export interface JwtBearerRequest {
  tokenUrl: string;
  /** `iss`: the app's consumer key. */
  issuer: string;
  /** `sub`: the user the token is for. */
  subject: string;
  /** `aud`: the authorization server. */
  audience: string;
}

/** The token request of an OAuth 2.0 token exchange connection (RFC 8693); the subject token comes from an identity provider. */
export interface TokenExchangeRequest {
  tokenUrl: string;
  clientId: string;
  /** Sent when set (the app may require it). */
  clientSecret?: string | undefined;
  subjectTokenType: string;
  /** Salesforce's `token_handler`: which handler validates the subject token (default: the app's default). */
  tokenHandler?: string | undefined;
}

/** Where an authorization code connection sends the user, and where it redeems codes and refresh tokens. */
export interface AuthorizationServerEndpoints {
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  scope: string;
}

/** One authentication method of a connector: its input schema and what the hub needs from it. */
export interface ConnectorMethod<Input extends Record<string, unknown> = Record<string, unknown>> {
  kind: AuthKind;
  credentials: z.ZodType<Input>;
  split(input: Input): SplitCredentials;
  /** Base URL that relative request paths resolve against. */
  baseUrl(config: ConnectionConfig): string;
  clientCredentials?(config: ConnectionConfig, secrets: Record<string, string>): ClientCredentialsRequest;
  authorizationCode?(config: ConnectionConfig): AuthorizationServerEndpoints;
  /** JWT bearer: the assertion's claims; the private key that signs it is the sealed secret `privateKey`. */
  jwtBearer?(config: ConnectionConfig): JwtBearerRequest;
  /** Token exchange: the exchange request; `config.identityProvider` names where the subject token comes from. */
  tokenExchange?(config: ConnectionConfig, secrets: Record<string, string>): TokenExchangeRequest;
  /** A cheap authenticated call that proves the connection works. */
  testPath: string;
}

export interface Connector {
  app: string;
  label: string;
  methods: Record<string, ConnectorMethod>;
  /** Turns a provider's error into what the user should fix. */
  explain(error: { error?: string; description?: string; status?: number }): string;
}
